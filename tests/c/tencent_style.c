/* A program written as for Tencent's own headers: the split includes, TIM_DECL, ERR_SUCC and
 * Tencent's callback types, compiled with -Wall -Wextra -Wpedantic -Werror as C99 and as C++ by
 * tests/c_abi.rs, linked to libImSDK and run (no server needed: nothing here logs in). */
#include "TIMCloudDef.h"
#include "TIMManager.h"
#include "TIMErrorCode.h"

#include <stdio.h>
#include <string.h>

/* Tencent's headers declare every function with TIM_DECL: a redeclaration must agree. */
TIM_DECL int TIMUninit(void);
TIM_DECL const char *TIMGetSDKVersion(void);

static int config_code = -1;
static int config_calls = 0;

static void on_config(int32_t code, const char *desc, const char *json_params, const void *user_data) {
    (void)desc;
    (void)json_params;
    (void)user_data;
    config_code = code;
    config_calls++;
}

static void on_log(enum TIMLogLevel level, const char *log, const void *user_data) {
    (void)level;
    (void)log;
    (void)user_data;
}

static void on_self_info(const char *json_user_profile, const void *user_data) {
    (void)json_user_profile;
    (void)user_data;
}

static void on_status(const char *json_user_status_array, const void *user_data) {
    (void)json_user_status_array;
    (void)user_data;
}

int main(void) {
    const char *version = TIMGetSDKVersion();
    enum TIMErrCode ok = ERR_SUCC;
    int spins;
    if (version == NULL || strlen(version) == 0) {
        fprintf(stderr, "no SDK version\n");
        return 1;
    }
    if (TIMInit(1400000001, "{\"" kTIMSdkConfigManualDispatch "\":true}") != TIM_SUCC) {
        fprintf(stderr, "TIMInit failed\n");
        return 1;
    }
    TIMSetLogCallback(on_log, NULL);
    TIMSetSelfInfoUpdatedCallback(on_self_info, NULL);
    TIMSetUserStatusChangedCallback(on_status, NULL);
    if (TIMSetConfig("{}", on_config, NULL) != TIM_SUCC) {
        fprintf(stderr, "TIMSetConfig refused\n");
        return 1;
    }
    for (spins = 0; config_calls == 0 && spins < 1000000; spins++) {
        TIMDispatchCallbacks();
    }
    if (config_calls != 1 || config_code != (int)ok) {
        fprintf(stderr, "TIMSetConfig answered %d (%d calls), expected ERR_SUCC once\n", config_code, config_calls);
        return 1;
    }
    if (TIMGetLoginStatus() != kTIMLoginStatus_UnLogined) {
        fprintf(stderr, "logged in without TIMLogin\n");
        return 1;
    }
    if (TIMUninit() != TIM_SUCC) {
        fprintf(stderr, "TIMUninit failed\n");
        return 1;
    }
    printf("OK %s\n", version);
    return 0;
}
