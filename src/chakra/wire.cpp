#include "chakra/wire.hpp"

#include <fmt/format.h>

namespace aifabric::chakra {

WireError::WireError(std::size_t offset, const std::string& what)
    : std::runtime_error(fmt::format("byte {}: {}", offset, what)), offset_(offset) {}

std::uint64_t Reader::varint() {
  std::uint64_t v = 0;
  const std::size_t start = pos_;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos_ == data_.size()) throw WireError(base_ + start, "truncated varint");
    const auto byte = static_cast<std::uint8_t>(data_[pos_++]);
    v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return v;
  }
  throw WireError(base_ + start, "varint longer than 10 bytes");
}

std::string_view Reader::take(std::size_t n) {
  if (n > data_.size() - pos_)
    throw WireError(base_ + pos_,
                    fmt::format("truncated: {} bytes expected, {} left", n, data_.size() - pos_));
  const auto s = data_.substr(pos_, n);
  pos_ += n;
  return s;
}

Field Reader::next() {
  const std::size_t at = base_ + pos_;
  const std::uint64_t key = varint();
  Field f;
  const std::uint64_t number = key >> 3;
  if (number == 0 || number > 536870911) throw WireError(at, fmt::format("invalid field number {}", number));
  f.number = static_cast<std::uint32_t>(number);
  const auto type = static_cast<std::uint32_t>(key & 7);
  auto fixed = [&](std::size_t n) {
    const auto b = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(b[i])) << (8 * i);
    return v;
  };
  switch (type) {
    case 0:
      f.type = WireType::kVarint;
      f.integer = varint();
      break;
    case 1:
      f.type = WireType::kFixed64;
      f.integer = fixed(8);
      break;
    case 2: {
      f.type = WireType::kLength;
      const std::uint64_t n = varint();
      if (n > data_.size() - pos_)
        throw WireError(at,
                        fmt::format("field {} claims {} bytes, {} are left", number, n, data_.size() - pos_));
      f.bytes = take(static_cast<std::size_t>(n));
      break;
    }
    case 5:
      f.type = WireType::kFixed32;
      f.integer = fixed(4);
      break;
    default:
      throw WireError(at, fmt::format("field {} has wire type {}, expected 0, 1, 2 or 5", number, type));
  }
  return f;
}

Reader Reader::sub(const Field& f) const {
  return Reader(f.bytes, base_ + static_cast<std::size_t>(f.bytes.data() - data_.data()));
}

std::int64_t zigzag_decode(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

std::uint64_t zigzag_encode(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

void Writer::raw_varint(std::uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void Writer::tag(std::uint32_t number, WireType type) {
  raw_varint((static_cast<std::uint64_t>(number) << 3) | static_cast<std::uint64_t>(type));
}

void Writer::varint_field(std::uint32_t number, std::uint64_t v) {
  tag(number, WireType::kVarint);
  raw_varint(v);
}

void Writer::fixed64_field(std::uint32_t number, std::uint64_t v) {
  tag(number, WireType::kFixed64);
  for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void Writer::bytes_field(std::uint32_t number, std::string_view bytes) {
  tag(number, WireType::kLength);
  raw_varint(bytes.size());
  out_.append(bytes);
}

}  // namespace aifabric::chakra
