package io.powerhose.internal;

import io.powerhose.ConfigurationException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EndpointsTest {
    @Test
    void goodEndpointsPass() {
        for (String endpoint : new String[] {"ipc:///tmp/x.ipc", "tcp://127.0.0.1:5555", "tcp://*:5555",
            "tcp://broker:5556", "tcp://[::1]:5555", "tcp://eth0;192.0.2.1:5555", "tcp://127.0.0.1:*",
            "inproc://wake"}) {
            assertDoesNotThrow(() -> Endpoints.check("frontend", endpoint), endpoint);
        }
    }

    @Test
    void badEndpointsNameTheOptionAndWhatIsWrong() {
        assertEquals("frontend=nonsense://x: unknown transport nonsense (tcp, ipc, inproc, ...)",
            assertThrows(ConfigurationException.class, () -> Endpoints.check("frontend", "nonsense://x")).getMessage());
        assertEquals("backend=tcp://host: expected tcp://HOST:PORT with a port from 1 to 65535",
            assertThrows(ConfigurationException.class, () -> Endpoints.check("backend", "tcp://host")).getMessage());
        for (String endpoint : new String[] {"tcp://h:0", "tcp://h:65536", "tcp://h:x", "tcp://:5555", "ipc://", "x",
            "/tmp/x.ipc"}) {
            assertThrows(ConfigurationException.class, () -> Endpoints.check("frontend", endpoint), endpoint);
        }
    }

    @Test
    void onlyANameTheResolverDoesNotKnowIsUnresolved() {
        assertEquals("no-such-host.invalid", Endpoints.unresolvedHost("tcp://no-such-host.invalid:5555"));
        assertNull(Endpoints.unresolvedHost("tcp://localhost:5555"));
        assertNull(Endpoints.unresolvedHost("tcp://127.0.0.1:5555"));
        assertNull(Endpoints.unresolvedHost("tcp://*:5555"));
        assertNull(Endpoints.unresolvedHost("ipc:///tmp/x.ipc"));
    }
}
