#pragma once
#include <cstdint>

namespace aifabric::core {

// Simulated time is an integer count of picoseconds. 2^63 ps is about 106 days of simulated time.
using TimePs = std::int64_t;

// 128-bit unsigned integer for exact intermediate products (a GCC/Clang extension).
__extension__ typedef unsigned __int128 Uint128;

inline constexpr TimePs kPsPerNs = 1'000;
inline constexpr TimePs kPsPerUs = 1'000'000;
inline constexpr TimePs kPsPerMs = 1'000'000'000;
inline constexpr TimePs kPsPerSec = 1'000'000'000'000;

constexpr TimePs ns_to_ps(double ns) {
  return static_cast<TimePs>(ns * 1e3 + 0.5);
}
constexpr TimePs us_to_ps(double us) {
  return static_cast<TimePs>(us * 1e6 + 0.5);
}
constexpr double ps_to_us(TimePs ps) {
  return static_cast<double>(ps) / 1e6;
}
constexpr double ps_to_sec(TimePs ps) {
  return static_cast<double>(ps) / 1e12;
}

// Serialization time of `bytes` on a link of `rate_bps` bit/s, rounded up to a whole picosecond.
// Exact for every rate that divides 8e12 (25, 50, 100, 200, 400, 800 Gbit/s ...).
constexpr TimePs serialization_ps(std::uint64_t bytes, std::uint64_t rate_bps) {
  const Uint128 bits_ps = static_cast<Uint128>(bytes) * 8u * 1'000'000'000'000ull;
  return static_cast<TimePs>((bits_ps + rate_bps - 1) / rate_bps);
}

}  // namespace aifabric::core
