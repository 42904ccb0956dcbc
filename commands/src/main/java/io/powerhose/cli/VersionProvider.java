package io.powerhose.cli;

import io.powerhose.internal.Version;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code --version} of every command: the command's name and the version the build wrote from the pom. */
final class VersionProvider implements IVersionProvider {
    @Spec
    CommandSpec spec;

    @Override
    public String[] getVersion() {
        return new String[] {spec.name() + " " + Version.text()};
    }
}
