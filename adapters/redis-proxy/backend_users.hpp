// backend_users.hpp: passwords of the backend's ACL users.
//
// The redis.user caveat (or default_backend_user) names the Redis ACL user
// the proxy logs in as for a client, so Redis's own ACL is a second wall
// behind the token's caveats.  The file holds "<user> <password>" lines; it
// is secret, so one that others can read or group can write is refused.
#pragma once

#include <string>
#include <unordered_map>

namespace s2s_redis {

class BackendUsers {
public:
    bool load(const std::string &path, std::string &error);
    // NULL when the user is not in the file.
    const std::string *password(const std::string &user) const;

private:
    std::unordered_map<std::string, std::string> passwords_;
};

}  // namespace s2s_redis
