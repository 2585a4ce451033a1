/* The seed's story through TIMCloud.h, as a C program (C99, -Wall -Wextra -Wpedantic -Werror).
 * Run by tests/c_abi.rs: argv[1] = server URL, argv[2] = alice's UserSig. The driver plays bob:
 * after "READY" it logs bob in, subscribes to alice and sets bob's custom status. */
#define _POSIX_C_SOURCE 200809L
#include "TIMCloud.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define APP 1400000001ULL
#define WAIT_S 30

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    int code;
    char json[16384];
} Result;

static void result_init(Result *r) {
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    r->calls = 0;
    r->code = -1;
    r->json[0] = '\0';
}

static void on_result(int32_t code, const char *desc, const char *json, const void *user_data) {
    Result *r = (Result *)user_data;
    (void)desc;
    pthread_mutex_lock(&r->mu);
    r->calls++;
    r->code = code;
    snprintf(r->json, sizeof r->json, "%s", json);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static struct timespec deadline(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += WAIT_S;
    return t;
}

/* Waits for the callback; returns its code (or -999 on timeout). */
static int wait_result(Result *r) {
    struct timespec t = deadline();
    int code;
    pthread_mutex_lock(&r->mu);
    while (r->calls == 0) {
        if (pthread_cond_timedwait(&r->cv, &r->mu, &t) != 0) break;
    }
    code = r->calls == 1 ? r->code : -999;
    pthread_mutex_unlock(&r->mu);
    return code;
}

/* Every status change, appended. */
static Result changes;

static void on_status_changed(const char *json, const void *user_data) {
    Result *r = (Result *)user_data;
    pthread_mutex_lock(&r->mu);
    r->calls++;
    strncat(r->json, json, sizeof r->json - strlen(r->json) - 1);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int wait_change(const char *needle) {
    struct timespec t = deadline();
    int found;
    pthread_mutex_lock(&changes.mu);
    while (!(found = strstr(changes.json, needle) != NULL)) {
        if (pthread_cond_timedwait(&changes.cv, &changes.mu, &t) != 0) break;
    }
    pthread_mutex_unlock(&changes.mu);
    return found;
}

static int failures = 0;
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            fprintf(stderr, "story.c:%d: CHECK failed: %s\n", __LINE__, #cond); \
            failures++;                                                        \
        }                                                                      \
    } while (0)

/* One asynchronous call: returns the callback's code; the result JSON is left in *r. */
#define CALL(r, expr) (result_init(r), (expr) == TIM_SUCC ? wait_result(r) : -998)

int main(int argc, char **argv) {
    Result r;
    char config[512];
    char id[128];
    char custom[256];
    const unsigned char bad_utf8[] = {'[', '"', 0xff, '"', ']', 0};
    if (argc < 3) {
        fprintf(stderr, "usage: story URL ALICE_SIG\n");
        return 2;
    }
    result_init(&changes);

    /* Before TIMInit: refused, no callback. */
    CHECK(TIMGetUserStatus("[\"bob\"]", on_result, &r) == TIM_ERR_SDKUNINIT);
    CHECK(TIMLogin("alice", argv[2], on_result, &r) == TIM_ERR_SDKUNINIT);
    CHECK(TIMUninit() == TIM_ERR_SDKUNINIT);
    CHECK(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined);
    CHECK(TIMInit(APP, "{") == TIM_ERR_JSON);
    CHECK(TIMInit(APP, "{\"sdk_config_manual_dispatch\":1}") == TIM_ERR_JSON);

    snprintf(config, sizeof config, "{\"sdk_config_server_url\":\"%s\",\"sdk_config_platform\":\"Linux\"}", argv[1]);
    CHECK(TIMInit(APP, config) == TIM_SUCC);
    TIMSetUserStatusChangedCallback(on_status_changed, &changes);

    /* Not logged in yet, and bad login parameters. */
    CHECK(TIMGetUserStatus("[\"bob\"]", on_result, &r) == TIM_ERR_NOTLOGIN);
    CHECK(TIMLogin(NULL, argv[2], on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMLogin("alice", NULL, on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMLogin("a-user-id-that-is-longer-than-32-bytes", argv[2], on_result, &r) == TIM_ERR_PARAM);

    CHECK(CALL(&r, TIMLogin("alice", argv[2], on_result, &r)) == 0);
    CHECK(TIMGetLoginStatus() == kTIMLoginStatus_Logined);
    CHECK(TIMGetLoginUserID(id) == TIM_SUCC && strcmp(id, "alice") == 0);

    /* Bad input while logged in: refused synchronously. */
    CHECK(TIMSetSelfStatus("{", on_result, &r) == TIM_ERR_JSON);
    CHECK(TIMSetSelfStatus("{\"user_status_custom_status\":1}", on_result, &r) == TIM_ERR_JSON);
    memset(custom, 'x', sizeof custom);
    snprintf(custom, sizeof custom, "{\"user_status_custom_status\":\"%0101d\"}", 0);
    CHECK(TIMSetSelfStatus(custom, on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMSetSelfStatus(NULL, on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMGetUserStatus(NULL, on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMGetUserStatus("[1]", on_result, &r) == TIM_ERR_JSON);
    CHECK(TIMGetUserStatus("[]", on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMGetUserStatus((const char *)bad_utf8, on_result, &r) == TIM_ERR_PARAM);
    CHECK(TIMSubscribeUserStatus("not json", on_result, &r) == TIM_ERR_JSON);
    CHECK(TIMGetLoginUserID(NULL) == TIM_ERR_PARAM);

    /* The story: alice follows bob (design-card name), bob comes online and sets a status. */
    CHECK(CALL(&r, SubscribeUserStatus("[\"bob\"]", on_result, &r)) == 0);
    CHECK(strcmp(r.json, "") == 0);
    printf("READY\n");
    fflush(stdout);
    CHECK(wait_change("\"user_status_custom_status\":\"in a match\""));

    CHECK(CALL(&r, TIMGetUserStatus("[\"bob\",\"alice\"]", on_result, &r)) == 0);
    CHECK(strstr(r.json, "\"user_status_identifier\":\"bob\",\"user_status_status_type\":1") != NULL);
    CHECK(strstr(r.json, "\"user_status_custom_status\":\"in a match\"") != NULL);
    CHECK(strstr(r.json, "\"user_status_online_devices\":[\"Linux\"]") != NULL);

    /* Alice answers with her own status (UTF-8), which bob sees; then clears it. */
    CHECK(CALL(&r, TIMSetSelfStatus("{\"user_status_custom_status\":\"looking for a team \xc3\xa9\"}", on_result, &r)) == 0);
    CHECK(wait_change("looking for a team \xc3\xa9"));
    CHECK(CALL(&r, SetSelfStatus("{\"user_status_custom_status\":\"\"}", on_result, &r)) == 0);
    CHECK(CALL(&r, UnsubscribeUserStatus(NULL, on_result, &r)) == 0);

    /* Logout: bob sees UNLOGINED; then every call is refused again. */
    CHECK(CALL(&r, TIMLogout(on_result, &r)) == 0);
    CHECK(TIMGetLoginStatus() == kTIMLoginStatus_UnLogined);
    CHECK(TIMGetUserStatus("[\"bob\"]", on_result, &r) == TIM_ERR_NOTLOGIN);
    CHECK(TIMUninit() == TIM_SUCC);
    CHECK(TIMUninit() == TIM_ERR_SDKUNINIT);
    CHECK(TIMSetSelfStatus("{}", on_result, &r) == TIM_ERR_SDKUNINIT);
    TIMSetUserStatusChangedCallback(NULL, NULL);

    printf(failures ? "FAILED %d\n" : "DONE\n", failures);
    return failures ? 1 : 0;
}
