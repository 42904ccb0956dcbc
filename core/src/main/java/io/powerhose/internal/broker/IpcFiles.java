package io.powerhose.internal.broker;

import io.powerhose.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.zeromq.ZMQ;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Binds the broker's ipc endpoints so that their socket files can be used by their owner only (mode 0600), or by
 * a group too (0660), from the moment they exist: a Unix socket's file permissions decide who may connect, and a
 * connection made before a late {@code chmod} would stay. Each socket is bound in a fresh directory of mode 0700
 * next to the endpoint's path, given its permissions there, then renamed onto the path (which replaces a stale file
 * atomically). A missing parent directory is created with mode 0700 (0750 with a group). Abstract sockets
 * ({@code ipc://@name}) have no file and no permissions: anyone on the host may connect; the broker says so. Used
 * on the broker thread while it binds.
 */
final class IpcFiles {
    /** The longest path of a Unix socket (sun_path holds 108 bytes with its NUL). */
    static final int MAX_SOCKET_PATH = 107;
    private static final Logger LOG = LoggerFactory.getLogger(IpcFiles.class);
    private static final Set<PosixFilePermission> OWNER = EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE);
    private static final Set<PosixFilePermission> OWNER_AND_GROUP = EnumSet.of(PosixFilePermission.OWNER_READ,
        PosixFilePermission.OWNER_WRITE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE);

    private final String groupName;
    private final GroupPrincipal group;

    /**
     * @param groupName the group that may connect too, or null for the owner only
     * @throws ConfigurationException when the group does not exist
     */
    IpcFiles(String groupName) {
        this.groupName = groupName;
        if (groupName == null) {
            group = null;
            return;
        }
        try {
            group = FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(groupName);
        } catch (UserPrincipalNotFoundException e) {
            throw new ConfigurationException("ipcGroup=" + groupName + ": no such group", e);
        } catch (IOException e) {
            throw new ConfigurationException("ipcGroup=" + groupName + ": cannot look the group up (" + e + ")", e);
        }
    }

    /**
     * Binds an ipc endpoint.
     *
     * @param socket the socket, owned by the calling thread
     * @param endpoint {@code ipc://PATH}
     * @return the socket file, or null for an abstract socket
     */
    Path bind(ZMQ.Socket socket, String endpoint) {
        String name = endpoint.substring("ipc://".length());
        if (name.startsWith("@")) {
            socket.bind(endpoint);
            LOG.warn("{} is an abstract socket: it has no file permissions, so any process on this host may connect"
                + " (use a path to restrict it to this user{})", endpoint, groupName != null ? " and group" : "");
            return null;
        }
        Path target = Path.of(name);
        Path parent = target.toAbsolutePath().getParent();
        createParent(parent);
        Path staging = parent.resolve(".ph-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        Path staged = staging.resolve("s");
        if (staged.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH) {
            // The staging path is too long for a Unix socket where the endpoint's own is not: bind in place and
            // restrict at once (connections in between are possible, but only in that instant).
            socket.bind(endpoint);
            restrict(target);
            return target;
        }
        try {
            Files.createDirectory(staging, PosixFilePermissions.asFileAttribute(
                EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE)));
        } catch (IOException e) {
            throw new ConfigurationException(endpoint + ": cannot create a directory in " + parent + " (" + e + ")",
                e);
        }
        try {
            socket.bind("ipc://" + staged);
            restrict(staged);
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException e) {
            throw new ConfigurationException(endpoint + ": cannot move the socket file into place (" + e + ")", e);
        } finally {
            try {
                Files.deleteIfExists(staged);
                Files.deleteIfExists(staging);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", staging, e.toString());
            }
        }
    }

    private void createParent(Path parent) {
        if (Files.isDirectory(parent)) {
            return;
        }
        Set<PosixFilePermission> mode = EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_EXECUTE);
        if (group != null) {
            mode.addAll(EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE));
        }
        try {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(mode));
            Files.setPosixFilePermissions(parent, mode);
            if (group != null) {
                Files.getFileAttributeView(parent, PosixFileAttributeView.class).setGroup(group);
            }
        } catch (IOException e) {
            throw new ConfigurationException("cannot create the ipc directory " + parent + " (" + e + ")", e);
        }
    }

    private void restrict(Path file) {
        try {
            if (group != null) {
                Files.getFileAttributeView(file, PosixFileAttributeView.class).setGroup(group);
            }
            Files.setPosixFilePermissions(file, group != null ? OWNER_AND_GROUP : OWNER);
        } catch (IOException e) {
            throw new ConfigurationException(file + ": cannot set its permissions"
                + (group != null ? " and group " + groupName + " (is this user a member?)" : "") + " (" + e + ")", e);
        }
    }
}
