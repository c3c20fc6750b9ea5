#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace aifabric::chakra {

// The protobuf wire format (https://protobuf.dev/programming-guides/encoding/), as much of it as Chakra's
// execution traces use: varints, zigzag, fixed 32/64-bit values and length-delimited fields. No generated
// code: the reader walks fields by number and type.

enum class WireType : std::uint8_t { kVarint = 0, kFixed64 = 1, kLength = 2, kFixed32 = 5 };

// A field as read: its number and type, and its value (the integer of varint and fixed fields, the bytes of
// a length-delimited one).
struct Field {
  std::uint32_t number = 0;
  WireType type = WireType::kVarint;
  std::uint64_t integer = 0;
  std::string_view bytes;
};

// Walks the fields of one message. Every malformed byte is a WireError that says what and at which byte
// offset of the buffer given to the first Reader (`base`), so callers can point into the file.
class WireError : public std::runtime_error {
 public:
  WireError(std::size_t offset, const std::string& what);
  std::size_t offset() const { return offset_; }

 private:
  std::size_t offset_;
};

class Reader {
 public:
  Reader(std::string_view data, std::size_t base = 0) : data_(data), base_(base) {}
  bool done() const { return pos_ == data_.size(); }
  Field next();                          // the next field; the caller checks done() first
  std::uint64_t varint();                // a bare varint (the length before each message of a trace file)
  std::string_view take(std::size_t n);  // the next n bytes
  std::size_t offset() const { return base_ + pos_; }  // of the next byte, from the first buffer's start
  // A reader over a length-delimited field's bytes, keeping offsets relative to the first buffer.
  Reader sub(const Field& f) const;

 private:
  std::string_view data_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

std::int64_t zigzag_decode(std::uint64_t v);
std::uint64_t zigzag_encode(std::int64_t v);

// Builds one message.
class Writer {
 public:
  void varint_field(std::uint32_t number, std::uint64_t v);
  void fixed64_field(std::uint32_t number, std::uint64_t v);
  void bytes_field(std::uint32_t number, std::string_view bytes);
  void raw_varint(std::uint64_t v);
  const std::string& str() const { return out_; }

 private:
  void tag(std::uint32_t number, WireType type);
  std::string out_;
};

}  // namespace aifabric::chakra
