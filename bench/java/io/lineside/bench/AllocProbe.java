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

/**
 * Heap bytes allocated by the threads of a running appliance, read exactly (not at GC events, as
 * {@code jvm_gc_memory_allocated_bytes_total} is) from its {@code com.sun.management.ThreadMXBean}
 * through the JDK's attach API and local JMX agent: nothing is added to the appliance.
 * <p>
 * Command {@code sample} answers {@code {"threads":{"ID":["GROUP",B],...}}}: bytes allocated so far by each
 * live thread, with its name group (the name without its trailing number), so that a caller can take
 * differences per thread around a round of images (a thread that starts meanwhile counts whole; one that
 * ends meanwhile takes its bytes since the first sample with it: an undercount, never a negative figure).
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
                StringBuilder json = new StringBuilder("{\"threads\":{");
                String sep = "";
                for (int i = 0; i < ids.length; i++) {
                    if (bytes[i] < 0 || infos[i] == null) {
                        continue; // ended meanwhile
                    }
                    String group = infos[i].getThreadName().replaceAll("[-#\\s]*\\d+$", "");
                    json.append(sep).append('"').append(ids[i]).append("\":[\"")
                            .append(group.replace("\"", "'").replace("\\", "/")).append("\",").append(bytes[i]).append(']');
                    sep = ",";
                }
                System.out.println(json.append("}}"));
                System.out.flush();
            }
        }
    }
}
