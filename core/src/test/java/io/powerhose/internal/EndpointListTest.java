package io.powerhose.internal;

import io.powerhose.BrokerOptions;
import io.powerhose.ClientOptions;
import io.powerhose.ConfigurationException;
import io.powerhose.WorkerOptions;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EndpointListTest {
    @Test
    void oneEndpointIsAListOfOne() {
        EndpointList list = EndpointList.parse("frontend", "ipc:///tmp/x/front.ipc");
        assertEquals(List.of("ipc:///tmp/x/front.ipc"), list.endpoints());
        assertEquals("ipc:///tmp/x/front.ipc", list.text());
    }

    @Test
    void commasSeparateBrokersInTheOrderGivenAndSpacesAreIgnored() {
        EndpointList list = EndpointList.parse("frontend", "tcp://a:5555, tcp://b:5555 ,ipc:///run/c.ipc");
        assertEquals(List.of("tcp://a:5555", "tcp://b:5555", "ipc:///run/c.ipc"), list.endpoints());
        assertEquals(3, list.size());
        assertEquals("tcp://b:5555", list.get(1));
        assertEquals("tcp://a:5555,tcp://b:5555,ipc:///run/c.ipc", list.text());
    }

    @Test
    void aBadElementIsNamedByItsIndex() {
        assertEquals("frontend[1]=tcp://b: expected tcp://HOST:PORT with a port from 1 to 65535",
            assertThrows(ConfigurationException.class,
                () -> EndpointList.parse("frontend", "tcp://a:5555,tcp://b")).getMessage());
        assertEquals("backend[0]=nonsense://x: unknown transport nonsense (tcp, ipc, inproc, ...)",
            assertThrows(ConfigurationException.class,
                () -> EndpointList.parse("backend", "nonsense://x,tcp://b:5556")).getMessage());
    }

    @Test
    void emptyElementsDuplicatesAndTooManyAreRefused() {
        assertEquals("frontend=tcp://a:5555,: element 1 is empty (expected e.g. tcp://a:5555,tcp://b:5555)",
            assertThrows(ConfigurationException.class,
                () -> EndpointList.parse("frontend", "tcp://a:5555,")).getMessage());
        assertThrows(ConfigurationException.class, () -> EndpointList.parse("frontend", ""));
        assertThrows(ConfigurationException.class, () -> EndpointList.parse("frontend", ",tcp://a:5555"));
        assertEquals("frontend=tcp://a:5555,tcp://a:5555: tcp://a:5555 is given twice",
            assertThrows(ConfigurationException.class,
                () -> EndpointList.parse("frontend", "tcp://a:5555,tcp://a:5555")).getMessage());
        StringBuilder many = new StringBuilder();
        for (int i = 1; i <= EndpointList.MAX_BROKERS + 1; i++) {
            many.append(i == 1 ? "" : ",").append("tcp://h:").append(5000 + i);
        }
        assertEquals("frontend=" + many + ": 17 endpoints, at most 16", assertThrows(ConfigurationException.class,
            () -> EndpointList.parse("frontend", many.toString())).getMessage());
        assertEquals("frontend is not set",
            assertThrows(ConfigurationException.class, () -> EndpointList.parse("frontend", null)).getMessage());
    }

    @Test
    void backendsAndHeartbeatsMustPairUp() {
        EndpointList backends = EndpointList.parse("backend", "tcp://a:5556,tcp://b:5556");
        backends.checkPairsWith(EndpointList.parse("heartbeat", "tcp://a:5557,tcp://b:5557"));
        assertEquals("backend lists 2 broker(s) but heartbeat lists 1: give one heartbeat for each backend, in the"
            + " same order (backend=tcp://a:5556,tcp://b:5556, heartbeat=tcp://a:5557)",
            assertThrows(ConfigurationException.class,
                () -> backends.checkPairsWith(EndpointList.parse("heartbeat", "tcp://a:5557"))).getMessage());
    }

    @Test
    void aSingleEndpointCheckRefusesAList() {
        assertEquals("frontend=tcp://a:5555,tcp://b:5555: one endpoint expected here, not a list (lists of brokers"
            + " are for clients, pools and workers; a broker binds one endpoint each)",
            assertThrows(ConfigurationException.class,
                () -> Endpoints.check("frontend", "tcp://a:5555,tcp://b:5555")).getMessage());
    }

    @Test
    void clientAndWorkerOptionsTakeListsAndBrokersRefuseThem() {
        ClientOptions client = ClientOptions.builder().frontend("tcp://a:5555, tcp://b:5555").build();
        assertEquals(List.of("tcp://a:5555", "tcp://b:5555"), client.frontends());
        assertEquals("tcp://a:5555,tcp://b:5555", client.frontend());
        assertEquals(client.frontends(), client.newBuilder().build().frontends());
        assertEquals(List.of("ipc:///x/f.ipc"),
            ClientOptions.builder().frontends(List.of("ipc:///x/f.ipc")).build().frontends());

        WorkerOptions worker = WorkerOptions.builder().target("x.Y").backend("tcp://a:5556,tcp://b:5556")
            .heartbeat("tcp://a:5557,tcp://b:5557").build();
        assertEquals(List.of("tcp://a:5556", "tcp://b:5556"), worker.backends());
        assertEquals(List.of("tcp://a:5557", "tcp://b:5557"), worker.heartbeats());
        assertEquals("tcp://a:5556,tcp://b:5556", worker.backend());

        assertEquals("backend lists 2 broker(s) but heartbeat lists 1: give one heartbeat for each backend, in the"
            + " same order (backend=tcp://a:5556,tcp://b:5556, heartbeat=tcp://a:5557)",
            assertThrows(ConfigurationException.class, () -> WorkerOptions.builder().target("x.Y")
                .backend("tcp://a:5556,tcp://b:5556").heartbeat("tcp://a:5557").build()).getMessage());
        assertThrows(ConfigurationException.class,
            () -> ClientOptions.builder().frontend("tcp://a:5555,,tcp://b:5555").build());
        assertThrows(ConfigurationException.class,
            () -> BrokerOptions.builder().frontend("tcp://*:5555,tcp://*:6555").build());
    }
}
