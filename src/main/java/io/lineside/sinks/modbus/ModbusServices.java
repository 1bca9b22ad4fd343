package io.lineside.sinks.modbus;

import com.digitalpetri.modbus.ExceptionCode;
import com.digitalpetri.modbus.FunctionCode;
import com.digitalpetri.modbus.exceptions.ModbusResponseException;
import com.digitalpetri.modbus.exceptions.UnknownUnitIdException;
import com.digitalpetri.modbus.pdu.MaskWriteRegisterRequest;
import com.digitalpetri.modbus.pdu.MaskWriteRegisterResponse;
import com.digitalpetri.modbus.pdu.ReadCoilsRequest;
import com.digitalpetri.modbus.pdu.ReadCoilsResponse;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersRequest;
import com.digitalpetri.modbus.pdu.ReadHoldingRegistersResponse;
import com.digitalpetri.modbus.pdu.ReadWriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.ReadWriteMultipleRegistersResponse;
import com.digitalpetri.modbus.pdu.WriteMultipleCoilsRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleCoilsResponse;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersRequest;
import com.digitalpetri.modbus.pdu.WriteMultipleRegistersResponse;
import com.digitalpetri.modbus.pdu.WriteSingleCoilRequest;
import com.digitalpetri.modbus.pdu.WriteSingleCoilResponse;
import com.digitalpetri.modbus.pdu.WriteSingleRegisterRequest;
import com.digitalpetri.modbus.pdu.WriteSingleRegisterResponse;
import com.digitalpetri.modbus.server.ModbusRequestContext;

import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What the Modbus server answers: the {@link RegisterMap} read-only, and coil 0, the trigger. Any other
 * unit id is not ours; any register write, or an address outside the map, is an illegal data address.
 */
final class ModbusServices implements com.digitalpetri.modbus.server.ModbusServices {

    static final int UNIT_ID = 1;

    private final Supplier<int[]> registers;
    private final BooleanSupplier triggerPending;
    /** Sets coil 0 and starts a snapshot; false when triggering is not allowed. */
    private final BooleanSupplier trigger;
    private final Runnable refusedWrite;

    ModbusServices(Supplier<int[]> registers, BooleanSupplier triggerPending, BooleanSupplier trigger, Runnable refusedWrite) {
        this.registers = registers;
        this.triggerPending = triggerPending;
        this.trigger = trigger;
        this.refusedWrite = refusedWrite;
    }

    private static void checkUnit(int unitId) throws UnknownUnitIdException {
        if (unitId != UNIT_ID) {
            throw new UnknownUnitIdException(unitId);
        }
    }

    @Override
    public ReadHoldingRegistersResponse readHoldingRegisters(ModbusRequestContext context, int unitId,
                                                             ReadHoldingRegistersRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        int from = request.address();
        int count = request.quantity();
        if (count < 1 || count > 125) {
            throw new ModbusResponseException(FunctionCode.READ_HOLDING_REGISTERS, ExceptionCode.ILLEGAL_DATA_VALUE);
        }
        if (from < 0 || from + count > RegisterMap.SIZE) {
            throw new ModbusResponseException(FunctionCode.READ_HOLDING_REGISTERS, ExceptionCode.ILLEGAL_DATA_ADDRESS);
        }
        return new ReadHoldingRegistersResponse(RegisterMap.bytes(registers.get(), from, count));
    }

    @Override
    public ReadCoilsResponse readCoils(ModbusRequestContext context, int unitId, ReadCoilsRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        if (request.address() != 0 || request.quantity() != 1) {
            throw new ModbusResponseException(FunctionCode.READ_COILS, ExceptionCode.ILLEGAL_DATA_ADDRESS);
        }
        return new ReadCoilsResponse(new byte[]{(byte) (triggerPending.getAsBoolean() ? 1 : 0)});
    }

    @Override
    public WriteSingleCoilResponse writeSingleCoil(ModbusRequestContext context, int unitId, WriteSingleCoilRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        boolean on = request.value() == 0xFF00;
        if (request.address() != 0 || on && !trigger.getAsBoolean()) {
            refusedWrite.run();
            throw new ModbusResponseException(FunctionCode.WRITE_SINGLE_COIL, ExceptionCode.ILLEGAL_DATA_ADDRESS);
        }
        return new WriteSingleCoilResponse(request.address(), request.value());
    }

    @Override
    public WriteMultipleCoilsResponse writeMultipleCoils(ModbusRequestContext context, int unitId,
                                                         WriteMultipleCoilsRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        boolean on = request.values().length > 0 && (request.values()[0] & 1) == 1;
        if (request.address() != 0 || request.quantity() != 1 || on && !trigger.getAsBoolean()) {
            refusedWrite.run();
            throw new ModbusResponseException(FunctionCode.WRITE_MULTIPLE_COILS, ExceptionCode.ILLEGAL_DATA_ADDRESS);
        }
        return new WriteMultipleCoilsResponse(request.address(), request.quantity());
    }

    // The registers are read-only: every way of writing them is refused the same way.

    @Override
    public WriteSingleRegisterResponse writeSingleRegister(ModbusRequestContext context, int unitId,
                                                           WriteSingleRegisterRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        refusedWrite.run();
        throw new ModbusResponseException(FunctionCode.WRITE_SINGLE_REGISTER, ExceptionCode.ILLEGAL_DATA_ADDRESS);
    }

    @Override
    public WriteMultipleRegistersResponse writeMultipleRegisters(ModbusRequestContext context, int unitId,
                                                                 WriteMultipleRegistersRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        refusedWrite.run();
        throw new ModbusResponseException(FunctionCode.WRITE_MULTIPLE_REGISTERS, ExceptionCode.ILLEGAL_DATA_ADDRESS);
    }

    @Override
    public MaskWriteRegisterResponse maskWriteRegister(ModbusRequestContext context, int unitId,
                                                       MaskWriteRegisterRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        refusedWrite.run();
        throw new ModbusResponseException(FunctionCode.MASK_WRITE_REGISTER, ExceptionCode.ILLEGAL_DATA_ADDRESS);
    }

    @Override
    public ReadWriteMultipleRegistersResponse readWriteMultipleRegisters(ModbusRequestContext context, int unitId,
                                                                         ReadWriteMultipleRegistersRequest request)
            throws ModbusResponseException, UnknownUnitIdException {
        checkUnit(unitId);
        refusedWrite.run();
        throw new ModbusResponseException(FunctionCode.READ_WRITE_MULTIPLE_REGISTERS, ExceptionCode.ILLEGAL_DATA_ADDRESS);
    }
}
