package io.powerhose.cli;

import io.powerhose.ConfigurationException;
import io.powerhose.CurveCertificate;
import io.powerhose.internal.process.ExitCodes;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code powerhose-keygen NAME}: makes a CURVE key pair and writes it as {@code NAME.key} (the public key, to
 * hand out) and {@code NAME.key_secret} (both keys, mode 0600), in czmq's certificate format, which pyzmq and czmq
 * read too.
 */
@Command(name = "powerhose-keygen", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Make a CURVE key pair: NAME.key (public: give it to the broker's allow-list, or to the clients "
        + "and workers for the broker's key) and NAME.key_secret (secret, mode 0600: keep it on the host that "
        + "uses it).",
        "Exit codes: 0 ok, 2 usage, 3 configuration (a file exists already, or cannot be written)."},
    versionProvider = VersionProvider.class)
public final class KeygenCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "NAME", description = "Path and name of the key pair, e.g. keys/worker-1.")
    String name;

    @Option(names = "--force", description = "Replace NAME.key and NAME.key_secret when they exist.")
    boolean force;

    private final PrintStream out;

    /** Creates the command printing to standard output. */
    public KeygenCommand() {
        this(System.out);
    }

    KeygenCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() {
        Logging.configure(ch.qos.logback.classic.Level.WARN, "stderr");
        Path publicFile = Path.of(name.endsWith(".key") ? name : name + ".key");
        Path secretFile = CurveCertificate.secretFileOf(publicFile);
        if (force) {
            try {
                Files.deleteIfExists(secretFile);
                Files.deleteIfExists(publicFile);
            } catch (IOException e) {
                throw new ConfigurationException("cannot replace " + publicFile + " (" + e + ")", e);
            }
        }
        CurveCertificate saved = CurveCertificate.generate().save(publicFile);
        out.println("public key " + saved.publicKey());
        out.println("wrote " + publicFile + " (public) and " + secretFile + " (secret, mode 0600)");
        return ExitCodes.OK;
    }

    /**
     * Runs the command.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        System.exit(Commands.run(new KeygenCommand(), args));
    }
}
