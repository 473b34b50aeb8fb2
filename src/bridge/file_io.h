// Small POSIX file helpers shared by the file transport and the paper bridge: atomic replacement of
// a file through a temporary and a rename, whole-file reads, durable appends. Errors are values
// with code "io_error" naming the path and errno text. Thread-safe (no shared state).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"

namespace bitten::bridge {

enum class Replace { kAllow, kRefuse };
enum class Durability { kFsync, kNone };

// Writes `content` to `dir/<name>.tmp`, renames it to `dir/<name>`, and with kFsync fsyncs the file
// before and the folder after the rename. With Replace::kRefuse an existing target is never
// replaced: the answer is then Fail("exists", ...) and the temporary is removed.
Status WriteFileAtomically(const std::filesystem::path& dir, std::string_view name,
                           std::string_view content, Replace replace, Durability durability);

// The whole file. "not_found" when it does not exist, "io_error" otherwise.
Result<std::string> ReadWholeFile(const std::filesystem::path& path);

// Appends `content` with one write() on an O_APPEND descriptor (looping only on a short write),
// then fsyncs. Creates the file when missing.
Status AppendDurably(const std::filesystem::path& path, std::string_view content);

}  // namespace bitten::bridge
