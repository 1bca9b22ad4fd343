package io.lineside.sinks.opcua;

import io.lineside.inspection.ModelIdentity;
import io.lineside.sinks.LineState;
import org.eclipse.milo.opcua.sdk.core.AccessLevel;
import org.eclipse.milo.opcua.sdk.core.Reference;
import org.eclipse.milo.opcua.sdk.server.OpcUaServer;
import org.eclipse.milo.opcua.sdk.server.api.DataItem;
import org.eclipse.milo.opcua.sdk.server.api.ManagedNamespaceWithLifecycle;
import org.eclipse.milo.opcua.sdk.server.api.MonitoredItem;
import org.eclipse.milo.opcua.sdk.server.api.methods.AbstractMethodInvocationHandler;
import org.eclipse.milo.opcua.sdk.server.nodes.UaMethodNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaObjectNode;
import org.eclipse.milo.opcua.sdk.server.nodes.UaVariableNode;
import org.eclipse.milo.opcua.sdk.server.util.SubscriptionModel;
import org.eclipse.milo.opcua.stack.core.Identifiers;
import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.types.builtin.DataValue;
import org.eclipse.milo.opcua.stack.core.types.builtin.DateTime;
import org.eclipse.milo.opcua.stack.core.types.builtin.LocalizedText;
import org.eclipse.milo.opcua.stack.core.types.builtin.NodeId;
import org.eclipse.milo.opcua.stack.core.types.builtin.Variant;
import org.eclipse.milo.opcua.stack.core.types.builtin.unsigned.ULong;
import org.eclipse.milo.opcua.stack.core.types.structured.AnonymousIdentityToken;
import org.eclipse.milo.opcua.stack.core.types.structured.Argument;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Namespace {@code urn:lineside}: the object {@code Objects/Lineside} with
 * {@code LastInspection/{Id, Time, Source, Name, Verdict, Score, Threshold, Defect}},
 * {@code Counters/{Good, Defect, Rejected}}, {@code Ready}, {@code Model/{Name, Version, Sha256}}
 * (all read-only) and the method {@code TriggerCamera()} -> {@code (Id, Verdict)}, refused to anonymous sessions.
 * Node ids are strings in the namespace, e.g. {@code ns=<i>;s=Lineside/LastInspection/Verdict}.
 */
final class LinesideNamespace extends ManagedNamespaceWithLifecycle {

    static final String URI = "urn:lineside";

    /** What TriggerCamera does: one snapshot inspected; returns {id, verdict-or-REJECTED}. */
    interface Trigger {
        String[] trigger() throws Exception;
    }

    private final SubscriptionModel subscriptions;
    private final Map<String, UaVariableNode> variables = new HashMap<>();
    private final Trigger trigger;
    private final Runnable triggerFailed;

    LinesideNamespace(OpcUaServer server, Trigger trigger, Runnable triggerFailed) {
        super(server, URI);
        this.trigger = trigger;
        this.triggerFailed = triggerFailed;
        this.subscriptions = new SubscriptionModel(server, this);
        getLifecycleManager().addLifecycle(subscriptions);
        getLifecycleManager().addStartupTask(this::createNodes);
    }

    private void createNodes() {
        UaObjectNode root = object("Lineside", null);
        root.addReference(new Reference(root.getNodeId(), Identifiers.Organizes, Identifiers.ObjectsFolder.expanded(),
                false));
        UaObjectNode last = object("Lineside/LastInspection", root);
        variable(last, "Lineside/LastInspection/Id", Identifiers.String, new Variant(""));
        variable(last, "Lineside/LastInspection/Time", Identifiers.DateTime, new Variant(DateTime.MIN_VALUE));
        variable(last, "Lineside/LastInspection/Source", Identifiers.String, new Variant(""));
        variable(last, "Lineside/LastInspection/Name", Identifiers.String, new Variant(""));
        variable(last, "Lineside/LastInspection/Verdict", Identifiers.String, new Variant(""));
        variable(last, "Lineside/LastInspection/Score", Identifiers.Double, new Variant(Double.NaN));
        variable(last, "Lineside/LastInspection/Threshold", Identifiers.Double, new Variant(Double.NaN));
        variable(last, "Lineside/LastInspection/Defect", Identifiers.Boolean, new Variant(false));
        UaObjectNode counters = object("Lineside/Counters", root);
        variable(counters, "Lineside/Counters/Good", Identifiers.UInt64, new Variant(ULong.valueOf(0)));
        variable(counters, "Lineside/Counters/Defect", Identifiers.UInt64, new Variant(ULong.valueOf(0)));
        variable(counters, "Lineside/Counters/Rejected", Identifiers.UInt64, new Variant(ULong.valueOf(0)));
        variable(root, "Lineside/Ready", Identifiers.Boolean, new Variant(false));
        UaObjectNode model = object("Lineside/Model", root);
        variable(model, "Lineside/Model/Name", Identifiers.String, new Variant(""));
        variable(model, "Lineside/Model/Version", Identifiers.String, new Variant(""));
        variable(model, "Lineside/Model/Sha256", Identifiers.String, new Variant(""));
        method(root);
    }

    private UaObjectNode object(String path, UaObjectNode parent) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        UaObjectNode node = UaObjectNode.builder(getNodeContext())
                .setNodeId(newNodeId(path))
                .setBrowseName(newQualifiedName(name))
                .setDisplayName(LocalizedText.english(name))
                .setTypeDefinition(Identifiers.BaseObjectType)
                .build();
        getNodeManager().addNode(node);
        if (parent != null) {
            parent.addComponent(node);
        }
        return node;
    }

    private void variable(UaObjectNode parent, String path, NodeId type, Variant initial) {
        String name = path.substring(path.lastIndexOf('/') + 1);
        UaVariableNode node = UaVariableNode.builder(getNodeContext())
                .setNodeId(newNodeId(path))
                .setBrowseName(newQualifiedName(name))
                .setDisplayName(LocalizedText.english(name))
                .setDataType(type)
                .setTypeDefinition(Identifiers.BaseDataVariableType)
                .setAccessLevel(AccessLevel.READ_ONLY)
                .setUserAccessLevel(AccessLevel.READ_ONLY)
                .build();
        node.setValue(new DataValue(initial));
        getNodeManager().addNode(node);
        parent.addComponent(node);
        variables.put(path, node);
    }

    private void method(UaObjectNode parent) {
        UaMethodNode node = UaMethodNode.builder(getNodeContext())
                .setNodeId(newNodeId("Lineside/TriggerCamera"))
                .setBrowseName(newQualifiedName("TriggerCamera"))
                .setDisplayName(LocalizedText.english("TriggerCamera"))
                .setDescription(LocalizedText.english(
                        "Grab one camera frame now and inspect it (as POST /api/v1/camera/trigger); needs a user"))
                .build();
        TriggerHandler handler = new TriggerHandler(node);
        node.setInputArguments(handler.getInputArguments());
        node.setOutputArguments(handler.getOutputArguments());
        node.setInvocationHandler(handler);
        getNodeManager().addNode(node);
        parent.addComponent(node);
    }

    /** Applies the line state (called after each committed outcome, and once at start). */
    void update(LineState.Snapshot s, boolean ready, double thresholdInForce, Supplier<java.util.Optional<ModelIdentity>> model) {
        LineState.Last last = s.last();
        boolean verdict = last.kind() == LineState.Kind.GOOD || last.kind() == LineState.Kind.DEFECT;
        set("Lineside/LastInspection/Id", last.id());
        set("Lineside/LastInspection/Time", last.kind() == LineState.Kind.NONE ? DateTime.MIN_VALUE : new DateTime(last.time()));
        set("Lineside/LastInspection/Source", last.source());
        set("Lineside/LastInspection/Name", last.name());
        set("Lineside/LastInspection/Verdict", last.kind() == LineState.Kind.NONE ? "" : last.kind().name());
        set("Lineside/LastInspection/Score", last.score());
        set("Lineside/LastInspection/Threshold", verdict ? last.threshold() : thresholdInForce);
        set("Lineside/LastInspection/Defect", last.kind() == LineState.Kind.DEFECT);
        set("Lineside/Counters/Good", ULong.valueOf(s.good()));
        set("Lineside/Counters/Defect", ULong.valueOf(s.defect()));
        set("Lineside/Counters/Rejected", ULong.valueOf(s.rejected()));
        set("Lineside/Ready", ready);
        ModelIdentity m = model.get().orElse(null);
        set("Lineside/Model/Name", m == null ? "" : m.name());
        set("Lineside/Model/Version", m == null ? "" : m.version());
        set("Lineside/Model/Sha256", m == null ? "" : m.sha256());
    }

    private void set(String path, Object value) {
        UaVariableNode node = variables.get(path);
        if (node != null) {
            node.setValue(new DataValue(new Variant(value)));
        }
    }

    @Override
    public void onDataItemsCreated(List<DataItem> items) {
        subscriptions.onDataItemsCreated(items);
    }

    @Override
    public void onDataItemsModified(List<DataItem> items) {
        subscriptions.onDataItemsModified(items);
    }

    @Override
    public void onDataItemsDeleted(List<DataItem> items) {
        subscriptions.onDataItemsDeleted(items);
    }

    @Override
    public void onMonitoringModeChanged(List<MonitoredItem> items) {
        subscriptions.onMonitoringModeChanged(items);
    }

    private final class TriggerHandler extends AbstractMethodInvocationHandler {

        TriggerHandler(UaMethodNode node) {
            super(node);
        }

        @Override
        public Argument[] getInputArguments() {
            return new Argument[0];
        }

        @Override
        public Argument[] getOutputArguments() {
            return new Argument[]{
                    new Argument("Id", Identifiers.String, -1, null, LocalizedText.english("The inspection's id")),
                    new Argument("Verdict", Identifiers.String, -1, null,
                            LocalizedText.english("GOOD, DEFECT or REJECTED"))};
        }

        @Override
        protected Variant[] invoke(InvocationContext context, Variant[] inputs) throws UaException {
            boolean anonymous = context.getSession()
                    .map(s -> s.getIdentityToken() == null || s.getIdentityToken() instanceof AnonymousIdentityToken)
                    .orElse(true);
            if (anonymous) {
                throw new UaException(StatusCodes.Bad_UserAccessDenied, "TriggerCamera needs a user, not an anonymous session");
            }
            try {
                String[] result = trigger.trigger();
                return new Variant[]{new Variant(result[0]), new Variant(result[1])};
            } catch (Exception e) {
                triggerFailed.run();
                throw new UaException(StatusCodes.Bad_InternalError, "the camera snapshot failed: " + e.getMessage());
            }
        }
    }
}
