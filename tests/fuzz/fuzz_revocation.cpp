// fuzz_revocation.cpp: the revocation list parser (RevocationSet::parse).
//
// Properties: an accepted list contains every token id it names (each
// non-blank, non-comment line, trimmed) and nothing more than that many;
// a rejected list yields a message and no set.
#include "fuzz_util.hpp"
#include "revocation.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view text = fuzz::as_text(data, size);
    std::shared_ptr<const s2s::RevocationSet> set;
    s2s::Error e = s2s::RevocationSet::parse("fuzz.revoked", text, set);
    if (e) {
        FUZZ_CHECK(!e.message.empty());
        return 0;
    }
    FUZZ_CHECK(set != nullptr);
    size_t named = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        size_t first = line.find_first_not_of(" \t");
        if (first == std::string_view::npos || line[first] == '#') continue;
        line = line.substr(first, line.find_last_not_of(" \t") - first + 1);
        FUZZ_CHECK(set->contains(line));
        FUZZ_CHECK(line.size() <= s2s::kMaxRevokedIdBytes);
        named++;
    }
    FUZZ_CHECK(set->size() <= named);
    FUZZ_CHECK(!set->contains(""));
    return 0;
}
