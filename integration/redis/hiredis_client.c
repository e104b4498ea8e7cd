/*
 * hiredis_client.c: a small hiredis client for the proxy's integration suite.
 *
 * usage: redis_hiredis_client PORT TOKEN
 * Authenticates with AUTH <token>, pipelines 200 SET/GET pairs on allowed keys
 * and checks every reply in order, then checks that a key outside the token's
 * prefix is refused with NOPERM and that the connection still works.  Prints
 * "hiredis ok" and exits 0 on success; names the first failure otherwise.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *what, redisReply *r) {
    fprintf(stderr, "hiredis client: %s (reply type %d: %s)\n", what, r ? r->type : -1,
            r && r->str ? r->str : "");
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT TOKEN\n", argv[0]);
        return 2;
    }
    redisContext *c = redisConnect("127.0.0.1", atoi(argv[1]));
    if (c == NULL || c->err) return fail("cannot connect", NULL);
    redisReply *r = redisCommand(c, "AUTH %s", argv[2]);
    if (r == NULL || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "OK") != 0) return fail("AUTH", r);
    freeReplyObject(r);

    enum { kPairs = 200 };
    for (int i = 0; i < kPairs; i++) {
        redisAppendCommand(c, "SET orders:h%d value-%d", i, i);
        redisAppendCommand(c, "GET orders:h%d", i);
    }
    for (int i = 0; i < kPairs; i++) {
        char want[32];
        snprintf(want, sizeof want, "value-%d", i);
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STATUS) return fail("SET", r);
        freeReplyObject(r);
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0)
            return fail("GET returned another value", r);
        freeReplyObject(r);
    }
    r = redisCommand(c, "GET secret:h");
    if (r == NULL || r->type != REDIS_REPLY_ERROR || strncmp(r->str, "NOPERM", 6) != 0)
        return fail("GET secret:h was not refused with NOPERM", r);
    freeReplyObject(r);
    r = redisCommand(c, "PING");
    if (r == NULL || r->type != REDIS_REPLY_STATUS || strcmp(r->str, "PONG") != 0) return fail("PING", r);
    freeReplyObject(r);
    redisFree(c);
    puts("hiredis ok");
    return 0;
}
