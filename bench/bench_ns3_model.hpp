#pragma once
#include <cstdint>
#include <vector>

inline constexpr std::uint32_t kNs3FatTreeK = 8;
inline constexpr std::uint64_t kNs3FlowBytes = 10'000'000;

// Runs the k=8 fat-tree permutation in ns-3: host i sends kNs3FlowBytes to host perm[i] over TCP. Returns
// the wall seconds of Simulator::Run; sets the bytes the sinks received and the events ns-3 executed.
double run_ns3_fat_tree(const std::vector<std::uint32_t>& perm, std::uint64_t& received,
                        std::uint64_t& events);
