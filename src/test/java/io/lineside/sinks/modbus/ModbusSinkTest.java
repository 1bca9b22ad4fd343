package io.lineside.sinks.modbus;

import com.ghgande.j2mod.modbus.ModbusSlaveException;
import com.ghgande.j2mod.modbus.facade.ModbusTCPMaster;
import com.ghgande.j2mod.modbus.procimg.Register;
import com.ghgande.j2mod.modbus.procimg.SimpleRegister;
import io.lineside.sinks.FakeCamera;
import io.lineside.sinks.SinkScene;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Modbus server read by j2mod (a client library independent of the server's): the register map
 * after GOOD, DEFECT and REJECTED, counts equal to the metrics', refused writes, the trigger coil.
 */
@QuarkusTest
@QuarkusTestResource(value = ModbusResource.class, restrictToAnnotatedClass = true)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModbusSinkTest {

    private static final int UNIT = 1;
    private ModbusTCPMaster plc;

    @BeforeEach
    void connect() throws Exception {
        plc = new ModbusTCPMaster("127.0.0.1", ModbusResource.port);
        plc.connect();
    }

    @AfterEach
    void disconnect() {
        plc.disconnect();
    }

    private int[] read() throws Exception {
        Register[] regs = plc.readMultipleRegisters(UNIT, 0, 14);
        int[] r = new int[regs.length];
        for (int i = 0; i < regs.length; i++) {
            r[i] = regs[i].getValue();
        }
        return r;
    }

    private static float f32(int[] r, int at) {
        return Float.intBitsToFloat(r[at] << 16 | r[at + 1]);
    }

    private static long u32(int[] r, int at) {
        return ((long) r[at] << 16) | r[at + 1];
    }

    private static double metricSum(String family, String label) {
        String body = given().get("/q/metrics").asString();
        Matcher m = Pattern.compile("(?m)^" + family + "\\{[^}]*" + Pattern.quote(label) + "[^}]*\\} ([0-9.eE+-]+)$")
                .matcher(body);
        double sum = 0;
        while (m.find()) {
            sum += Double.parseDouble(m.group(1));
        }
        return sum;
    }

    private static void inspect(byte[] image) {
        given().contentType("image/png").body(image).post("/api/v1/inspections");
    }

    @Test
    @Order(1)
    void theRegisterMapFollowsGoodDefectAndRejected() throws Exception {
        int[] r = read();
        assertEquals(0, r[0], "no outcome yet");
        assertEquals(0, r[1]);
        assertEquals(1, r[6], "ready: a model is in service");
        assertEquals((float) SinkScene.THRESHOLD, f32(r, 4), "the threshold in force before any verdict");

        inspect(SinkScene.good());
        r = read();
        assertEquals(1, r[0]);
        assertEquals(1, r[1], "GOOD");
        assertTrue(f32(r, 2) < SinkScene.THRESHOLD, "score " + f32(r, 2));
        assertEquals((float) SinkScene.THRESHOLD, f32(r, 4));
        assertEquals(1, u32(r, 8));

        inspect(SinkScene.defect());
        r = read();
        assertEquals(2, r[0]);
        assertEquals(2, r[1], "DEFECT");
        assertTrue(f32(r, 2) > SinkScene.THRESHOLD, "score " + f32(r, 2));
        assertEquals(1, u32(r, 10));

        inspect(SinkScene.junk());
        r = read();
        assertEquals(3, r[0]);
        assertEquals(3, r[1], "REJECTED");
        assertTrue(Float.isNaN(f32(r, 2)), "no score for a rejection");
        assertEquals(1, u32(r, 12));

        // The counts are the metrics' counts.
        assertEquals(metricSum("lineside_inspections_total", "verdict=\"good\""), u32(r, 8));
        assertEquals(metricSum("lineside_inspections_total", "verdict=\"defect\""), u32(r, 10));
        assertEquals(metricSum("lineside_rejected_total", "source="), u32(r, 12));
        assertEquals(3, metricSum("lineside_sink_published_total", "sink=\"modbus\""));
        assertEquals(1, metricSum("lineside_sink_connected", "sink=\"modbus\""));
        given().get("/q/health/group/sinks").then().statusCode(200)
                .body("checks.find { it.name == 'modbus' }.status", equalTo("UP"));
    }

    @Test
    @Order(2)
    void writesToRegistersAndReadsOutsideTheMapAreIllegalAddresses() {
        ModbusSlaveException write = assertThrows(ModbusSlaveException.class,
                () -> plc.writeSingleRegister(UNIT, 1, new SimpleRegister(7)));
        assertEquals(2, write.getType(), "ILLEGAL DATA ADDRESS");
        ModbusSlaveException writeMany = assertThrows(ModbusSlaveException.class,
                () -> plc.writeMultipleRegisters(UNIT, 0, new Register[]{new SimpleRegister(1), new SimpleRegister(2)}));
        assertEquals(2, writeMany.getType());
        ModbusSlaveException beyond = assertThrows(ModbusSlaveException.class,
                () -> plc.readMultipleRegisters(UNIT, 10, 8));
        assertEquals(2, beyond.getType());
        assertTrue(metricSum("lineside_sink_errors_total", "reason=\"refused-write\"") >= 2);
    }

    @Test
    @Order(3)
    void coilZeroTriggersACameraSnapshotAndFallsBack() throws Exception {
        int before = ModbusResource.camera.snapshots();
        int seq = read()[0];
        plc.writeCoil(UNIT, 0, true);
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (read()[0] == seq && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        int[] r = read();
        assertEquals(seq + 1, r[0], "one outcome from the trigger");
        assertEquals(2, r[1], "the camera's frame is a DEFECT part");
        assertEquals(before + 1, ModbusResource.camera.snapshots());
        while (plc.readCoils(UNIT, 0, 1).getBit(0) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(false, plc.readCoils(UNIT, 0, 1).getBit(0), "the appliance sets the coil back to 0");
        given().get("/api/v1/inspections?limit=1").then().statusCode(200)
                .body("items[0].source", equalTo(FakeCamera.NAME));
    }
}
