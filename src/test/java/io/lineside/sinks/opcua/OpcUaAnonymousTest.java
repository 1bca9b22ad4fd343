package io.lineside.sinks.opcua;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.milo.opcua.sdk.client.OpcUaClient;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.enumerated.TimestampsToReturn;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodRequest;
import org.eclipse.milo.opcua.stack.core.types.structured.CallMethodResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** With {@code lineside.opcua.allow-anonymous=true}: anonymous sessions read, but never call TriggerCamera. */
@QuarkusTest
@QuarkusTestResource(value = OpcUaResource.class, restrictToAnnotatedClass = true,
        initArgs = @ResourceArg(name = "anonymous", value = "true"))
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class OpcUaAnonymousTest {

    @Test
    void anonymousReadsButMayNotTrigger() throws Exception {
        int before = OpcUaResource.camera.snapshots();
        OpcUaClient client = Plc.anonymous();
        try {
            DataValue ready = client.readValue(0, TimestampsToReturn.Both, Plc.node(client, "Lineside/Ready"))
                    .get(10, TimeUnit.SECONDS);
            assertEquals(true, ready.getValue().getValue());
            CallMethodResult result = client.call(new CallMethodRequest(Plc.node(client, "Lineside"),
                    Plc.node(client, "Lineside/TriggerCamera"), new Variant[0])).get(20, TimeUnit.SECONDS);
            assertEquals(StatusCodes.Bad_UserAccessDenied, result.getStatusCode().getValue());
        } finally {
            client.disconnect().get(10, TimeUnit.SECONDS);
        }
        assertEquals(before, OpcUaResource.camera.snapshots(), "no snapshot was taken");
    }
}
