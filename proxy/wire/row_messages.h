// Result rows: RowDescription 'T' and DataRow 'D' (PG docs "Message Formats"). These are on the
// per-row path the masking layer rewrites, so the views never allocate: they are validated once
// and iterated in place (STYLE.md, "keep per-message work allocation-free").
//
//   RowDescription  Int16 count, count x { String name, Int32 table OID, Int16 column attnum,
//                   Int32 type OID, Int16 type size, Int32 type modifier, Int16 format code }
//   DataRow         Int16 count, count x { Int32 length (-1 = NULL), Byte_n value }
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>

#include "proxy/wire/bytes.h"
#include "proxy/wire/views.h"

namespace pgwire {

struct FieldDescription {
  std::string_view name;            // the output name: an alias can rename anything (PROTOCOL.md 20)
  std::uint32_t table_oid = 0;      // 0 when the column is not a plain table column
  std::int16_t column_attnum = 0;   // 0 likewise
  std::uint32_t type_oid = 0;
  std::int16_t type_size = 0;       // pg_type.typlen: -1 varlena, -2 cstring
  std::int32_t type_modifier = -1;  // pg_attribute.atttypmod
  std::int16_t format = 0;          // 0 text, 1 binary; always 0 from a statement Describe (PROTOCOL.md 18)

  bool operator==(const FieldDescription&) const = default;
};

class RowDescription {
 public:
  class iterator {
   public:
    using value_type = FieldDescription;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    iterator(const std::uint8_t* p, const std::uint8_t* end);
    const FieldDescription& operator*() const { return current_; }
    const FieldDescription* operator->() const { return &current_; }
    iterator& operator++();
    iterator operator++(int) {
      iterator old = *this;
      ++*this;
      return old;
    }
    bool operator==(const iterator& other) const { return p_ == other.p_; }

   private:
    void load();
    const std::uint8_t* p_ = nullptr;
    const std::uint8_t* end_ = nullptr;
    std::size_t size_ = 0;  // bytes of the current field
    FieldDescription current_;
  };

  RowDescription() = default;

  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }
  iterator begin() const { return iterator(fields_.data(), fields_.data() + fields_.size()); }
  iterator end() const { return iterator(fields_.data() + fields_.size(), fields_.data() + fields_.size()); }

 private:
  friend std::expected<RowDescription, WireError> parse_row_description(Bytes body);
  RowDescription(Bytes fields, std::size_t count) : fields_(fields), count_(count) {}
  Bytes fields_;
  std::size_t count_ = 0;
};

std::expected<RowDescription, WireError> parse_row_description(Bytes body);
void encode_row_description(std::string& out, std::span<const FieldDescription> fields);

struct DataRow {
  ValueList values;  // one per column; std::nullopt = NULL
  std::size_t size() const { return values.size(); }
};
std::expected<DataRow, WireError> parse_data_row(Bytes body);
void encode_data_row(std::string& out, std::span<const Value> values);

// Writes a DataRow column by column without building a list first: the masking layer's output
// path. finish() throws std::logic_error if fewer or more columns were written than announced
// (a broken invariant: the row would desynchronise the client).
class DataRowWriter {
 public:
  DataRowWriter(std::string& out, std::size_t columns);
  void value(Bytes data) {
    w_.u32(static_cast<std::uint32_t>(data.size()));
    w_.bytes(data);
    ++written_;
  }
  void value(std::string_view data) { value(as_bytes(data)); }
  void value(const Value& data);
  void null() {
    w_.i32(-1);
    ++written_;
  }
  // `n` whole column fields (Int32 length, then the bytes) copied from another DataRow as they
  // are: a run of columns the masking layer leaves alone costs one append, not two per column.
  void fields(Bytes encoded, std::size_t n) {
    w_.bytes(encoded);
    written_ += n;
  }
  // A value encoded in place: begin_value() appends a zero length field and returns its offset;
  // the caller appends the value's bytes to `out`, then end_value(slot) sets the length, or
  // drop_value(slot) cuts the length field and whatever followed it (the value is not written).
  std::size_t begin_value() {
    const std::size_t slot = out_.size();
    out_.append(4, '\0');
    return slot;
  }
  void end_value(std::size_t slot);
  void drop_value(std::size_t slot) { out_.resize(slot); }
  void finish();

 private:
  std::string& out_;
  Writer w_;
  std::size_t mark_;
  std::size_t columns_;
  std::size_t written_ = 0;
};

}  // namespace pgwire
