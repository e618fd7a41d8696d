// `pnpm bench udp` part (b)'s floor: a process that echoes every datagram back to its sender, so
// the parent can time a raw node:dgram round trip between two processes (what a Raft round trip
// between cluster processes pays at least: two wake-ups of an idle process, two kernel hops).
import { createSocket } from "node:dgram";

const socket = createSocket("udp4");
socket.on("message", (datagram, from) => socket.send(datagram, from.port, from.address));
socket.bind(0, "127.0.0.1", () => process.send?.({ type: "ready", port: socket.address().port }));
process.on("message", () => socket.close(() => process.exit(0)));
