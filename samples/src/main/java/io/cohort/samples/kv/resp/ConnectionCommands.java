package io.cohort.samples.kv.resp;

import io.cohort.samples.kv.KvCommand;
import io.cohort.samples.kv.Resp;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;

/**
 * The commands one connection answers itself, without the store: PING, ECHO, SELECT, QUIT, INFO,
 * CLIENT, COMMAND, HELLO and CONFIG GET. Only what Redis clients and tools ({@code redis-cli},
 * {@code redis-benchmark}, Jedis, Lettuce) send on their own is here; the answers follow Redis 7.
 * One instance per connection, used on its I/O thread.
 */
final class ConnectionCommands {

    /** A connection command's reply, and whether the connection closes after it (QUIT). */
    record Outcome(byte[] reply, boolean close) {
        static Outcome of(byte[] reply) {
            return new Outcome(reply, false);
        }
    }

    private final long connectionId;
    private final KvService service;
    private final IntSupplier connectedClients;
    private String name;

    /**
     * @param connectionId     this connection's CLIENT ID
     * @param service          the replica, for INFO
     * @param connectedClients how many clients are connected now, for INFO clients
     */
    ConnectionCommands(long connectionId, KvService service, IntSupplier connectedClients) {
        this.connectionId = connectionId;
        this.service = service;
        this.connectedClients = connectedClients;
    }

    /** @return the name set by CLIENT SETNAME or HELLO SETNAME, or null */
    String name() {
        return name;
    }

    /**
     * @param c a command whose route is {@link CommandTable.Route#CONNECTION} and whose arity fits
     * @return its reply
     */
    Outcome execute(KvCommand c) {
        return switch (c.name()) {
            case "PING" -> Outcome.of(c.arity() == 1 ? Resp.simple("PONG")
                    : c.arity() == 2 ? Resp.bulk(c.arg(1)) : wrongArity("ping"));
            case "ECHO" -> Outcome.of(Resp.bulk(c.arg(1)));
            case "SELECT" -> Outcome.of(select(c));
            case "QUIT" -> new Outcome(Resp.OK, true);
            case "INFO" -> Outcome.of(info(c));
            case "CLIENT" -> Outcome.of(client(c));
            case "COMMAND" -> Outcome.of(command(c));
            case "HELLO" -> Outcome.of(hello(c));
            case "CONFIG" -> Outcome.of(config(c));
            default -> throw new IllegalArgumentException("not a connection command: " + c.name());
        };
    }

    private static byte[] select(KvCommand c) {
        long index;
        try {
            index = Long.parseLong(c.text(1));
        } catch (NumberFormatException e) {
            return Resp.error("ERR value is not an integer or out of range");
        }
        // One database, as in Redis Cluster: SELECT 0 is accepted so that clients that send it work.
        return index == 0 ? Resp.OK : Resp.error("ERR DB index is out of range");
    }

    private byte[] info(KvCommand c) {
        List<String> asked = new ArrayList<>();
        for (int i = 1; i < c.arity(); i++) {
            asked.add(c.text(i).toLowerCase(Locale.ROOT));
        }
        List<String> sections = asked.isEmpty() || asked.contains("default") || asked.contains("all")
                || asked.contains("everything") ? List.of("server", "clients", "replication", "keyspace") : asked;
        StringBuilder text = new StringBuilder();
        for (String section : sections) {
            String body = "clients".equals(section) ? "connected_clients:" + connectedClients.getAsInt() + "\r\n"
                    : service.info(section);
            if (body == null) {
                continue;
            }
            if (text.length() > 0) {
                text.append("\r\n");
            }
            text.append("# ").append(Character.toUpperCase(section.charAt(0))).append(section.substring(1))
                    .append("\r\n").append(body);
        }
        return Resp.bulk(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    private byte[] client(KvCommand c) {
        String sub = c.text(1).toUpperCase(Locale.ROOT);
        return switch (sub) {
            case "ID" -> c.arity() == 2 ? Resp.integer(connectionId) : wrongArity("client|id");
            case "GETNAME" -> c.arity() == 2 ? Resp.bulk(name == null ? null : name.getBytes(StandardCharsets.UTF_8))
                    : wrongArity("client|getname");
            case "SETNAME" -> c.arity() == 3 ? setName(c.text(2)) : wrongArity("client|setname");
            // Jedis and Lettuce announce themselves; accepted and not kept.
            case "SETINFO" -> c.arity() == 4 ? Resp.OK : wrongArity("client|setinfo");
            default -> Resp.error("ERR unknown subcommand '" + Resp.printable(c.text(1)) + "'. Try CLIENT HELP.");
        };
    }

    private byte[] setName(String requested) {
        for (int i = 0; i < requested.length(); i++) {
            char ch = requested.charAt(i);
            if (ch < '!' || ch > '~') {
                return Resp.error("ERR Client names cannot contain spaces, newlines or special characters.");
            }
        }
        name = requested.isEmpty() ? null : requested;
        return Resp.OK;
    }

    private static byte[] command(KvCommand c) {
        if (c.arity() == 1) {
            RespWriter w = new RespWriter().array(CommandTable.all().size());
            CommandTable.all().forEach(s -> describe(w, s));
            return w.toBytes();
        }
        String sub = c.text(1).toUpperCase(Locale.ROOT);
        switch (sub) {
            case "COUNT":
                return Resp.integer(CommandTable.all().size());
            case "DOCS":
                // No documentation is served; redis-cli then simply shows no hints.
                return new RespWriter().array(0).toBytes();
            case "INFO": {
                if (c.arity() == 2) {
                    return command(KvCommand.of("COMMAND"));
                }
                RespWriter w = new RespWriter().array(c.arity() - 2);
                for (int i = 2; i < c.arity(); i++) {
                    CommandTable.Spec s = CommandTable.find(c.text(i).toUpperCase(Locale.ROOT));
                    if (s == null) {
                        w.array(-1);
                    } else {
                        describe(w, s);
                    }
                }
                return w.toBytes();
            }
            default:
                return Resp.error("ERR unknown subcommand '" + Resp.printable(c.text(1)) + "'. Try COMMAND HELP.");
        }
    }

    /** Redis 7's ten fields; ACL categories, tips, key specifications and subcommands are left empty. */
    private static void describe(RespWriter w, CommandTable.Spec s) {
        w.array(10).bulk(s.name().toLowerCase(Locale.ROOT)).integer(s.arity()).array(s.flags().size());
        s.flags().forEach(w::status);
        w.integer(s.firstKey()).integer(s.lastKey()).integer(s.step());
        w.array(0).array(0).array(0).array(0);
    }

    private byte[] hello(KvCommand c) {
        int i = 1;
        if (c.arity() > 1) {
            String version = c.text(1);
            if (!"2".equals(version)) {
                boolean number = version.chars().allMatch(Character::isDigit) && !version.isEmpty();
                // Only RESP2 is spoken; clients such as Lettuce then fall back to it.
                return number ? Resp.error("NOPROTO unsupported protocol version")
                        : Resp.error("ERR Protocol version is not an integer or out of range");
            }
            i = 2;
        }
        for (; i < c.arity(); i++) {
            String option = c.text(i).toUpperCase(Locale.ROOT);
            if ("SETNAME".equals(option) && i + 1 < c.arity()) {
                byte[] set = setName(c.text(++i));
                if (set[0] == '-') {
                    return set;
                }
            } else if ("AUTH".equals(option) && i + 2 < c.arity()) {
                return Resp.error("ERR AUTH <password> called without any password configured for the default user. "
                        + "Are you sure your configuration is correct?");
            } else {
                return Resp.error("ERR Syntax error in HELLO option '" + Resp.printable(c.text(i)) + "'");
            }
        }
        return new RespWriter().array(14)
                .bulk("server").bulk("redis")
                .bulk("version").bulk(RespServer.REDIS_VERSION)
                .bulk("proto").integer(2)
                .bulk("id").integer(connectionId)
                .bulk("mode").bulk("standalone")
                .bulk("role").bulk("master")
                .bulk("modules").array(0)
                .toBytes();
    }

    /**
     * CONFIG GET answers the two parameters redis-benchmark asks for at start ({@code save} and
     * {@code appendonly}): Redis's own snapshotting and append-only file do not exist here (the
     * replicas keep their own log), so they report off. Other parameters are reported unknown
     * (an empty answer), and CONFIG SET and friends are refused.
     */
    private static byte[] config(KvCommand c) {
        String sub = c.text(1).toUpperCase(Locale.ROOT);
        if (!"GET".equals(sub)) {
            return Resp.error("ERR unknown subcommand '" + Resp.printable(c.text(1)) + "'. Try CONFIG HELP.");
        }
        if (c.arity() < 3) {
            return wrongArity("config|get");
        }
        List<String[]> found = new ArrayList<>();
        for (int i = 2; i < c.arity(); i++) {
            String parameter = c.text(i).toLowerCase(Locale.ROOT);
            if (("save".equals(parameter) || "*".equals(parameter)) && found.stream().noneMatch(p -> p[0].equals("save"))) {
                found.add(new String[] {"save", ""});
            }
            if (("appendonly".equals(parameter) || "*".equals(parameter))
                    && found.stream().noneMatch(p -> p[0].equals("appendonly"))) {
                found.add(new String[] {"appendonly", "no"});
            }
        }
        RespWriter w = new RespWriter().array(found.size() * 2);
        found.forEach(p -> w.bulk(p[0]).bulk(p[1]));
        return w.toBytes();
    }

    private static byte[] wrongArity(String command) {
        return Resp.error("ERR wrong number of arguments for '" + command + "' command");
    }

}
