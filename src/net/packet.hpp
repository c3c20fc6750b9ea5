#pragma once
#include <cstdint>
#include <type_traits>

namespace aifabric::net {

enum class PacketKind : std::uint8_t { kData, kAck, kNack, kCnp, kPause, kCredit };

// A packet is a small POD in a per-simulation pool, addressed by index. Link-level frames (PFC pause,
// InfiniBand flow-control) use the same record and never leave the link they were sent on.
struct Packet {
  std::uint32_t flow;
  std::uint32_t psn;  // data: sequence number; ack/nack: next expected
  std::uint32_t src_host;
  std::uint32_t dst_host;
  std::uint32_t payload;     // data payload bytes
  std::uint32_t wire_bytes;  // bytes on the wire, payload + framing
  std::uint32_t in_port;     // at a switch: the port back to where the packet came from
  std::uint32_t credit[2];   // flow-control frame: bytes of credit returned per class
  std::uint32_t hash;        // ECMP hash of the packet's 5-tuple
  PacketKind kind;
  std::uint8_t cls;
  std::uint8_t ecn;   // congestion experienced
  std::uint8_t xoff;  // pause frame: 1 = XOFF, 0 = XON
};
static_assert(std::is_trivially_copyable_v<Packet>);

}  // namespace aifabric::net
