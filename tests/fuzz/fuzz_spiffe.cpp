// fuzz_spiffe.cpp: the SPIFFE ID parser (modules/mtls/spiffe_id).
//
// Differential: a plain restatement of the SPIFFE-ID rules below must agree
// with the parser on every input.  Also: an accepted ID's views are parts of
// it that put it back together, its trust domain passes check_trust_domain,
// and every rejection has a rule text.  The input's first line, if any, is
// also tried as a prefix of the rest (spiffe_id_has_prefix): a match must be
// the whole ID or end on a segment boundary.
#include "fuzz_util.hpp"
#include "mtls/spiffe_id.hpp"

using namespace s2s::mtls;

namespace {

bool lower_digit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool td_char(char c) { return lower_digit(c) || c == '.' || c == '-' || c == '_'; }
bool seg_char(char c) { return td_char(c) || (c >= 'A' && c <= 'Z'); }

bool reference_trust_domain(std::string_view td) {
    if (td.empty() || td.size() > 255) return false;
    for (char c : td) {
        if (!td_char(c)) return false;
    }
    return true;
}

// The rules, stated as the SPIFFE-ID spec states them.
bool reference_valid(std::string_view uri) {
    if (uri.size() > 2048 || !uri.starts_with("spiffe://")) return false;
    std::string_view rest = uri.substr(9);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return false;  // no path
    if (!reference_trust_domain(rest.substr(0, slash))) return false;
    std::string_view path = rest.substr(slash);  // "/seg/seg"
    if (path.size() < 2 || path.back() == '/') return false;
    size_t start = 1;
    while (start <= path.size()) {
        size_t end = path.find('/', start);
        if (end == std::string_view::npos) end = path.size();
        std::string_view seg = path.substr(start, end - start);
        if (seg.empty() || seg == "." || seg == "..") return false;
        for (char c : seg) {
            if (!seg_char(c)) return false;
        }
        start = end + 1;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    std::string_view uri = fuzz::as_text(data, size);
    SpiffeIdView view;
    SpiffeRule rule = parse_spiffe_id(uri, view);
    FUZZ_CHECK((rule == SpiffeRule::kOk) == reference_valid(uri));
    FUZZ_CHECK(spiffe_rule_text(rule) != nullptr);
    if (rule == SpiffeRule::kOk) {
        FUZZ_CHECK("spiffe://" + std::string(view.trust_domain) + std::string(view.path) == uri);
        FUZZ_CHECK(view.trust_domain.data() == uri.data() + 9);
        FUZZ_CHECK(check_trust_domain(view.trust_domain) == SpiffeRule::kOk);
        FUZZ_CHECK(spiffe_id_has_prefix(uri, uri));
    } else {
        FUZZ_CHECK(view.trust_domain.empty() && view.path.empty());
    }
    FUZZ_CHECK((check_trust_domain(uri) == SpiffeRule::kOk) == reference_trust_domain(uri));

    size_t nl = uri.find('\n');
    if (nl != std::string::npos) {
        std::string_view prefix = std::string_view(uri).substr(0, nl);
        std::string_view id = std::string_view(uri).substr(nl + 1);
        if (spiffe_id_has_prefix(id, prefix)) {
            FUZZ_CHECK(!prefix.empty() && id.starts_with(prefix));
            FUZZ_CHECK(id.size() == prefix.size() || id[prefix.size()] == '/');
        }
    }
    return 0;
}
