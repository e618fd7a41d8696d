// The public API of @flotilla/transport-udp. Everything not exported here is internal.

export {
  type DropListener,
  describeDropReason,
  type InboundDrop,
} from "./drop-report.js";
export type { KeyInput } from "./keys.js";
export type { UdpLogger, UdpTransportOptions } from "./options.js";
export { udpDefaults } from "./options.js";
export type { InboundDropReason, OutboundDropReason, UdpTransportStats } from "./stats.js";
export type { UdpAddress, UdpTransport } from "./udp-transport.js";
export { createUdpTransport } from "./udp-transport.js";
