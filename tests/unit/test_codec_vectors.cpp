// test_codec_vectors.cpp: libmacaroons' published serialization vectors
// (test/unit/serialization_{1,2,3} in rescrv/libmacaroons): one macaroon in
// V1, V2 and V2 JSON each.  The strings below are that data, copied verbatim;
// each is base64 of the serialized form (for V1, of its base64 text).  All
// three spellings must decode to the same macaroon, whose signature chain
// recomputes from the key the vectors use, and s2s must write the V1 and V2
// spellings back byte for byte.
#include <vector>

#include "codec_test_util.hpp"

using namespace s2s;
using s2s::test::derived;
using s2s::test::unb64;

namespace {

struct Vector {
    const char *v1, *v2, *v2j;
    std::vector<std::string> caveats;
};

const Vector kVectors[] = {
    {"TURBeU1XeHZZMkYwYVc5dUlHaDBkSEE2THk5bGVHRnRjR3hsTG05eVp5OEtNREF4Tldsa1pXNTBhV1pwWlhJZ2EyVjVh"
     "V1FLTURBeVpuTnBaMjVoZEhWeVpTQjgzdWVTVVJ4Ynh2VW9TRmdGMy1teVRuaGVLT0twa3dINTF4SEdDZU9POXdv",
     "AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAAYgfN7nklEcW8b1KEhYBd_psk54XijiqZMB-dcRxgnjjvc=",
     "eyJ2IjoyLCJsIjoiaHR0cDovL2V4YW1wbGUub3JnLyIsImkiOiJrZXlpZCIsImMiOltdLCJzNjQiOiJmTjdua2xFY1c4"
     "YjFLRWhZQmRfcHNrNTRYaWppcVpNQi1kY1J4Z25qanZjIn0=",
     {}},
    {"TURBeU1XeHZZMkYwYVc5dUlHaDBkSEE2THk5bGVHRnRjR3hsTG05eVp5OEtNREF4Tldsa1pXNTBhV1pwWlhJZ2EyVjVh"
     "V1FLTURBeFpHTnBaQ0JoWTJOdmRXNTBJRDBnTXpjek5Ua3lPRFUxT1Fvd01ESm1jMmxuYm1GMGRYSmxJUFZJQl9iY2J0"
     "LUl2dzl6QnJPQ0pXS2pZbE05djNNNXVtRjJYYVM5SloySENn",
     "AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAhRhY2NvdW50ID0gMzczNTkyODU1OQAABiD1SAf23G7fiL8Pcwaz"
     "giVio2JTPb9zObphdl2kvSWdhw==",
     "eyJ2IjoyLCJsIjoiaHR0cDovL2V4YW1wbGUub3JnLyIsImkiOiJrZXlpZCIsImMiOlt7ImkiOiJhY2NvdW50ID0gMzcz"
     "NTkyODU1OSJ9XSwiczY0IjoiOVVnSDl0eHUzNGlfRDNNR3M0SWxZcU5pVXoyX2N6bTZZWFpkcEwwbG5ZYyJ9",
     {"account = 3735928559"}},
    {"TURBeU1XeHZZMkYwYVc5dUlHaDBkSEE2THk5bGVHRnRjR3hsTG05eVp5OEtNREF4Tldsa1pXNTBhV1pwWlhJZ2EyVjVh"
     "V1FLTURBeFpHTnBaQ0JoWTJOdmRXNTBJRDBnTXpjek5Ua3lPRFUxT1Fvd01ERTFZMmxrSUhWelpYSWdQU0JoYkdsalpR"
     "b3dNREptYzJsbmJtRjBkWEpsSUV2cFo4MGVvTWF5YTY5cVNwVHVtd1d4V0liYUM2aGVqRUtwUEkwT0VsNzhDZw==",
     "AgETaHR0cDovL2V4YW1wbGUub3JnLwIFa2V5aWQAAhRhY2NvdW50ID0gMzczNTkyODU1OQACDHVzZXIgPSBhbGljZQAA"
     "BiBL6WfNHqDGsmuvakqU7psFsViG2guoXoxCqTyNDhJe_A==",
     "eyJ2IjoyLCJsIjoiaHR0cDovL2V4YW1wbGUub3JnLyIsImkiOiJrZXlpZCIsImMiOlt7ImkiOiJhY2NvdW50ID0gMzcz"
     "NTkyODU1OSJ9LHsiaSI6InVzZXIgPSBhbGljZSJ9XSwiczY0IjoiUy1sbnpSNmd4ckpycjJwS2xPNmJCYkZZaHRvTHFG"
     "Nk1RcWs4alE0U1h2dyJ9",
     {"account = 3735928559", "user = alice"}},
};

Macaroon decoded(std::string_view text) {
    Macaroon m;
    std::string scratch;
    ParseError pe;
    if (!decode_any(text, Limits{}, m, scratch, pe)) fail_msg("%s", pe.what);
    return m;
}

void test_libmacaroons_serialization_vectors(void **) {
    for (const Vector &v : kVectors) {
        const std::string v1_text = unb64(v.v1);
        const std::string v2_text = v.v2;  // base64 (URL, padded) of the raw V2 bytes
        const std::string json = unb64(v.v2j);
        const Macaroon forms[] = {decoded(v1_text), decoded(v2_text), decoded(json)};

        Macaroon expected;
        assert_true(macaroon_init(expected, derived("this is the key"), "keyid", "http://example.org/"));
        for (const std::string &c : v.caveats) assert_true(add_first_party(expected, c));

        for (const Macaroon &m : forms) {
            assert_true(m.location == "http://example.org/");
            assert_true(m.identifier == "keyid");
            assert_int_equal(m.caveats.size(), v.caveats.size());
            for (size_t i = 0; i < v.caveats.size(); i++) {
                assert_true(m.caveats[i].id == v.caveats[i]);
                assert_false(m.caveats[i].third_party());
            }
            assert_true(m.signature == expected.signature);
        }

        std::string bytes;
        assert_true(encode_v1(expected, bytes));
        assert_string_equal(base64url_encode(bytes).c_str(), v1_text.c_str());
        encode_v2(expected, bytes);
        std::string v2_unpadded = v2_text.substr(0, v2_text.find('='));
        assert_string_equal(base64url_encode(bytes).c_str(), v2_unpadded.c_str());
        std::string ours;
        assert_true(encode_v2_json(expected, ours));
        assert_true(decoded(ours).signature == expected.signature);
    }
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_libmacaroons_serialization_vectors),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
