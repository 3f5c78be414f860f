#include "proxy/wire/row_messages.h"

#include <cstring>
#include <stdexcept>

#include "proxy/wire/message_reader.h"
#include "proxy/wire/message_types.h"

namespace pgwire {
namespace {

// The fixed part of a field after its name: table OID, attnum, type OID, size, modifier, format.
constexpr std::size_t kFieldFixed = 4 + 2 + 4 + 2 + 4 + 2;

}  // namespace

RowDescription::iterator::iterator(const std::uint8_t* p, const std::uint8_t* end) : p_(p), end_(end) { load(); }

void RowDescription::iterator::load() {
  if (p_ == end_) return;
  // Safe without checks: parse_row_description walked every field before handing out the view.
  const auto* nul = static_cast<const std::uint8_t*>(std::memchr(p_, 0, static_cast<std::size_t>(end_ - p_)));
  const auto name_size = static_cast<std::size_t>(nul - p_);
  const std::uint8_t* f = nul + 1;
  current_.name = std::string_view(reinterpret_cast<const char*>(p_), name_size);
  current_.table_oid = load_u32(f);
  current_.column_attnum = static_cast<std::int16_t>(load_u16(f + 4));
  current_.type_oid = load_u32(f + 6);
  current_.type_size = static_cast<std::int16_t>(load_u16(f + 10));
  current_.type_modifier = static_cast<std::int32_t>(load_u32(f + 12));
  current_.format = static_cast<std::int16_t>(load_u16(f + 16));
  size_ = name_size + 1 + kFieldFixed;
}

RowDescription::iterator& RowDescription::iterator::operator++() {
  p_ += size_;
  load();
  return *this;
}

std::expected<RowDescription, WireError> parse_row_description(Bytes body) {
  Reader r(body);
  auto invalid = [](const std::string& what) { return wire_error("invalid RowDescription message: " + what); };
  auto count = r.u16();
  if (!count) return invalid(count.error().message);
  const std::size_t start = r.position();
  for (std::size_t i = 0; i < *count; ++i) {
    if (auto name = r.cstr(); !name) return invalid(fmt::format("field {} of {}: {}", i + 1, *count, name.error().message));
    if (auto fixed = r.bytes(kFieldFixed); !fixed) {
      return invalid(fmt::format("field {} of {}: {}", i + 1, *count, fixed.error().message));
    }
  }
  if (!r.at_end()) return invalid(fmt::format("{} unexpected bytes at the end", r.remaining()));
  return RowDescription(r.consumed_since(start), *count);
}

void encode_row_description(std::string& out, std::span<const FieldDescription> fields) {
  Writer w(out);
  const auto mark = w.begin(be::kRowDescription);
  w.count16(fields.size());
  for (const auto& f : fields) {
    w.cstr(f.name);
    w.u32(f.table_oid);
    w.i16(f.column_attnum);
    w.u32(f.type_oid);
    w.i16(f.type_size);
    w.i32(f.type_modifier);
    w.i16(f.format);
  }
  w.end(mark);
}

std::expected<DataRow, WireError> parse_data_row(Bytes body) {
  detail::MessageReader r(body, "DataRow");
  DataRow row{r.values()};
  return r.finish(row);
}

void encode_data_row(std::string& out, std::span<const Value> values) {
  Writer w(out);
  const auto mark = w.begin(be::kDataRow);
  write_values(w, values);
  w.end(mark);
}

DataRowWriter::DataRowWriter(std::string& out, std::size_t columns) : out_(out), w_(out), columns_(columns) {
  mark_ = w_.begin(be::kDataRow);
  w_.count16(columns);
}

void DataRowWriter::value(const Value& data) {
  write_value(w_, data);
  ++written_;
}

void DataRowWriter::end_value(std::size_t slot) {
  const std::size_t length = out_.size() - slot - 4;
  if (length > 0x3fffffffU) throw std::length_error(fmt::format("DataRow value of {} bytes exceeds 1 GB", length));
  store_u32(out_, slot, static_cast<std::uint32_t>(length));
  ++written_;
}

void DataRowWriter::finish() {
  if (written_ != columns_) {
    throw std::logic_error(fmt::format("DataRow announced {} columns but {} were written", columns_, written_));
  }
  w_.end(mark_);
}

}  // namespace pgwire
