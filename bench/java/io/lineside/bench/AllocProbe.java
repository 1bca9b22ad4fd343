package io.lineside.bench;

import com.sun.tools.attach.VirtualMachine;

import javax.management.MBeanServerConnection;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Heap bytes allocated by the threads of a running appliance, read exactly (not at GC events, as
 * {@code jvm_gc_memory_allocated_bytes_total} is) from its {@code com.sun.management.ThreadMXBean}
 * through the JDK's attach API and local JMX agent: nothing is added to the appliance.
 * <p>
 * Command {@code sample} answers {@code {"total":B,"byGroup":{"lineside-folder-worker":B,...}}}: bytes
 * allocated so far by the live threads, summed over all of them and per thread-name group (the name
 * without its trailing number), so that a caller can take differences around a round of images.
 * Threads that end between two samples take their counts with them: the appliance's pools are long-lived.
 * Argument: the appliance's pid.
 */
public final class AllocProbe {
    public static void main(String[] args) throws Exception {
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        String address = vm.startLocalManagementAgent();
        vm.detach();
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            com.sun.management.ThreadMXBean threads = ManagementFactory.newPlatformMXBeanProxy(server,
                    ManagementFactory.THREAD_MXBEAN_NAME, com.sun.management.ThreadMXBean.class);
            System.out.println("{\"ready\":true}");
            System.out.flush();
            BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = commands.readLine()) != null && !line.trim().equals("quit")) {
                long[] ids = threads.getAllThreadIds();
                long[] bytes = threads.getThreadAllocatedBytes(ids);
                java.lang.management.ThreadInfo[] infos = threads.getThreadInfo(ids);
                Map<String, Long> byGroup = new TreeMap<>();
                long total = 0;
                for (int i = 0; i < ids.length; i++) {
                    if (bytes[i] < 0 || infos[i] == null) {
                        continue; // ended meanwhile
                    }
                    total += bytes[i];
                    String group = infos[i].getThreadName().replaceAll("[-#\\s]*\\d+$", "");
                    byGroup.merge(group, bytes[i], Long::sum);
                }
                StringBuilder json = new StringBuilder(String.format(Locale.ROOT, "{\"total\":%d,\"byGroup\":{", total));
                String sep = "";
                for (Map.Entry<String, Long> e : byGroup.entrySet()) {
                    json.append(sep).append('"').append(e.getKey().replace("\"", "'").replace("\\", "/"))
                            .append("\":").append(e.getValue());
                    sep = ",";
                }
                System.out.println(json.append("}}"));
                System.out.flush();
            }
        }
    }
}
