#pragma once
#include <string>

#include "whatif/study.hpp"

// A study split over batch jobs that share nothing but a file system (Slurm arrays, GNU parallel):
// `--shard i/N` runs one shard and writes its outcomes and variant folders; `--merge DIR,...` completes the
// study from the shards' folders (docs/distributed.md).
namespace aifabric::whatif {

// "i/N" with 0 <= i < N; an InputError for `--shard` otherwise.
Shard parse_shard(const std::string& text);
// shard.json: the shard, every variant's label (to recognise the study), and the outcomes of its variants.
std::string shard_json(const Study& study, const Shard& shard);
// Takes the outcomes and variant folders of the shard folder `dir` into `study` (loaded with Shard{0, 0}).
// A folder without shard.json, or with a shard of another study, is an InputError for `--merge`.
void merge_shard(Study& study, const std::string& dir);
// After the merges: an InputError naming the first variant no shard held; else compare_study.
void finish_merge(Study& study);

}  // namespace aifabric::whatif
