// The public API of @flotilla/transport-memory. Everything not exported here is internal.

export { NetworkConfigError, NetworkMisuseError } from "./errors.js";
export { type Scheduled as HeapItem, ScheduleHeap } from "./heap.js";
export type { LatencyDistribution } from "./latency.js";
export type { LinkOptions } from "./link-options.js";
export { linkDefaults } from "./link-options.js";
export { MemoryTransport } from "./memory-transport.js";
export { Network } from "./network.js";
export type { DropReason, NetworkStats } from "./network-stats.js";
export { dropReasons } from "./network-stats.js";
export type {
  ClockHooks,
  Delivery,
  MessageCodec,
  NetworkEvent,
  NetworkOptions,
} from "./network-types.js";
export { bridge, isolateOne, majorityMinority } from "./partitions.js";
export { Prng } from "./prng.js";
export type { RealTimeHandle, RealTimeOptions } from "./real-time.js";
export { startRealTime } from "./real-time.js";
export type { MessageFilter } from "./topology.js";
