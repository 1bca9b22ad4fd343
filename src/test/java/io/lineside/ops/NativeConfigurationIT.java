package io.lineside.ops;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * There is no GraalVM here, so this runs the native build up to the point where it hands over to
 * native-image (`-Dquarkus.native.sources-only=true`) and checks what native-image would get:
 * run-time initialisation of ONNX Runtime, its shared libraries as resources, JNI access to every
 * Java class ONNX Runtime's JNI library calls back into, and quarkus-awt's ImageIO/AWT support.
 *
 * The build runs in a copy of the project under target/native-check so it never clobbers the
 * JVM build in target/.
 */
class NativeConfigurationIT {

    static final Set<String> SKIPPED = Set.of("target", ".git", ".venv", "runs", "data", "inbox", "archive",
            "node_modules", ".idea", "__pycache__", ".pytest_cache");
    static Path sources;
    static ZipFile runner;
    static Path onnxruntimeJar;

    @BeforeAll
    static void buildNativeSources() throws IOException {
        Path work = Tools.ROOT.resolve("target/native-check");
        Path project = work.resolve("project");
        deleteRecursively(work);
        copyProject(Tools.ROOT, project);
        Tools.Result build = Tools.run(project, 600, List.of("./mvnw", "-B", "-q", "package", "-Dnative",
                "-Dquarkus.native.sources-only=true", "-Dmaven.test.skip=true", "-Dtrainer.skip=true"));
        if (build.exitCode() != 0) {
            fail("native sources build failed (exit " + build.exitCode() + "):\n" + Tools.tail(build.output()));
        }
        sources = project.resolve("target/native-sources");
        try (Stream<Path> files = Files.list(sources)) {
            Path jar = files.filter(p -> p.getFileName().toString().endsWith("-runner.jar")).findFirst()
                    .orElseThrow(() -> new AssertionError("no runner jar in " + sources));
            runner = new ZipFile(jar.toFile());
        }
        try (Stream<Path> files = Files.walk(sources.resolve("lib"))) {
            onnxruntimeJar = files.filter(p -> p.getFileName().toString().startsWith("com.microsoft.onnxruntime.onnxruntime-"))
                    .findFirst().orElseThrow(() -> new AssertionError("ONNX Runtime is not among the native image's libraries"));
        }
    }

    static Set<String> runtimeInitialized() throws IOException {
        List<String> args = Arrays.asList(Files.readString(sources.resolve("native-image.args")).split("\\s+"));
        return args.stream()
                .filter(a -> a.startsWith("--initialize-at-run-time="))
                .flatMap(a -> Arrays.stream(a.substring(a.indexOf('=') + 1).split("\\\\?,")))
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void onnxRuntimeIsInitialisedAtRunTime() throws IOException {
        assertTrue(runtimeInitialized().contains("ai.onnxruntime"),
                "native-image.args lacks --initialize-at-run-time=ai.onnxruntime: " + runtimeInitialized());
    }

    /**
     * An application class whose static fields hold a Random (its seed would be frozen into the
     * image) or an ONNX Runtime object (native state) must be initialised at run time.
     */
    @Test
    void applicationClassesWithRandomOrOnnxStateInStaticFieldsAreInitialisedAtRunTime() throws Exception {
        Set<String> runtime = runtimeInitialized();
        Path classes = Tools.ROOT.resolve("target/classes");
        List<String> offenders = new ArrayList<>();
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = classes.relativize(file).toString().replace('/', '.').replaceAll("\\.class$", "");
                Class<?> type = Class.forName(name, false, NativeConfigurationIT.class.getClassLoader());
                for (java.lang.reflect.Field field : type.getDeclaredFields()) {
                    Class<?> fieldType = field.getType();
                    boolean risky = java.util.Random.class.isAssignableFrom(fieldType)
                            || fieldType.getName().startsWith("ai.onnxruntime.");
                    if (java.lang.reflect.Modifier.isStatic(field.getModifiers()) && risky
                            && runtime.stream().noneMatch(r -> name.equals(r) || name.startsWith(r + "."))) {
                        offenders.add(name + "." + field.getName());
                    }
                }
            }
        }
        assertTrue(offenders.isEmpty(), "initialise these at run time (quarkus.native.additional-build-args): " + offenders);
    }

    @Test
    void onnxRuntimeSharedLibrariesAreResources() throws IOException {
        List<Pattern> includes = new ArrayList<>();
        for (JsonNode include : json("META-INF/native-image/resource-config.json").path("resources").path("includes")) {
            includes.add(Pattern.compile(include.path("pattern").asText()));
        }
        for (String library : List.of("libonnxruntime.so", "libonnxruntime4j_jni.so")) {
            String resource = "ai/onnxruntime/native/linux-x64/" + library;
            assertTrue(includes.stream().anyMatch(p -> p.matcher(resource).matches()),
                    resource + " is not included as a resource");
        }
    }

    /**
     * The classes and constructors come from ONNX Runtime's own JNI library (the strings it passes
     * to FindClass / GetMethodID), so an ONNX Runtime upgrade that adds a callback fails here.
     */
    @Test
    void everyClassOnnxRuntimeCallsBackIntoIsRegisteredForJni() throws Exception {
        Set<String> registeredClasses = new HashSet<>();
        Set<String> registeredConstructors = new TreeSet<>();
        JsonNode config = json("META-INF/native-image/io.lineside/lineside/jni-config.json");
        for (JsonNode type : config) {
            String name = type.path("name").asText();
            registeredClasses.add(name);
            for (JsonNode method : type.path("methods")) {
                assertTrue("<init>".equals(method.path("name").asText()), "unexpected JNI method " + method);
                List<String> parameters = new ArrayList<>();
                method.path("parameterTypes").forEach(p -> parameters.add(p.asText()));
                // It names a constructor that really exists.
                Constructor<?> constructor = findConstructor(Class.forName(name), parameters);
                registeredConstructors.add(descriptor(constructor.getParameterTypes()));
            }
        }
        byte[] jni;
        try (ZipFile jar = new ZipFile(onnxruntimeJar.toFile());
             InputStream in = jar.getInputStream(jar.getEntry("ai/onnxruntime/native/linux-x64/libonnxruntime4j_jni.so"))) {
            jni = in.readAllBytes();
        }
        Set<String> classes = new TreeSet<>();
        Set<String> constructors = new TreeSet<>();
        for (String s : cStrings(jni)) {
            if (s.matches("(ai/onnxruntime|java/lang)/[A-Za-z$]+")) {
                classes.add(s.replace('/', '.'));
            } else if (s.matches("\\((\\[*([ZBCSIJFD]|L[\\w/$]+;))*\\)V")) {
                constructors.add(s);
            }
        }
        assertFalse(classes.isEmpty() || constructors.isEmpty(), "found no JNI strings in libonnxruntime4j_jni.so");
        for (String type : classes) {
            assertTrue(registeredClasses.contains(type), type + " is used from JNI but not registered in jni-config.json");
        }
        for (String constructor : constructors) {
            assertTrue(registeredConstructors.contains(constructor),
                    "ONNX Runtime constructs an object with " + constructor + " but no such constructor is registered");
        }
    }

    @Test
    void imageIoAndAwtAreSupportedByQuarkusAwt() throws IOException {
        String args = Files.readString(sources.resolve("native-image.args"));
        assertTrue(args.contains("io.quarkus.awt.runtime.graal.AwtFeature"), "quarkus-awt's feature is not active");
        assertTrue(args.contains("-Djava.awt.headless=true"));
        Set<String> jniTypes = new HashSet<>();
        json("META-INF/native-image/jni-config.json").forEach(t -> jniTypes.add(t.path("name").asText()));
        for (String type : List.of("com.sun.imageio.plugins.jpeg.JPEGImageReader", "java.awt.image.BufferedImage")) {
            assertTrue(jniTypes.contains(type), type + " is not registered for JNI");
        }
    }

    private static JsonNode json(String entry) throws IOException {
        ZipEntry zipEntry = runner.getEntry(entry);
        if (zipEntry == null) {
            fail(entry + " is missing from the runner jar");
        }
        try (InputStream in = runner.getInputStream(zipEntry)) {
            return Manifests.JSON.readTree(in);
        }
    }

    private static Constructor<?> findConstructor(Class<?> type, List<String> parameters) {
        for (Constructor<?> constructor : type.getDeclaredConstructors()) {
            List<String> names = Arrays.stream(constructor.getParameterTypes()).map(Class::getTypeName).toList();
            if (names.equals(parameters)) {
                return constructor;
            }
        }
        return fail(type.getName() + " has no constructor " + parameters);
    }

    private static String descriptor(Class<?>[] parameters) {
        StringBuilder d = new StringBuilder("(");
        for (Class<?> p : parameters) {
            d.append(p.descriptorString());
        }
        return d.append(")V").toString();
    }

    /** NUL-terminated printable strings, as `strings` finds them. */
    private static List<String> cStrings(byte[] bytes) {
        List<String> strings = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        for (byte b : bytes) {
            if (b >= 0x20 && b < 0x7f) {
                current.write(b);
            } else {
                if (b == 0 && current.size() >= 3) {
                    strings.add(current.toString(java.nio.charset.StandardCharsets.US_ASCII));
                }
                current.reset();
            }
        }
        return strings;
    }

    private static void copyProject(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                if (!dir.equals(from) && SKIPPED.contains(dir.getFileName().toString())) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile() && !file.getFileName().toString().equals(".git")) {
                    Files.copy(file, to.resolve(from.relativize(file).toString()),
                            StandardCopyOption.COPY_ATTRIBUTES, StandardCopyOption.REPLACE_EXISTING);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
