/*
 * TIMErrorCode.h: Tencent Chat's error codes (enum TIMErrCode, Tencent's names and values), the
 * subset this library and imsdk-server produce. They arrive as `code` in TIMCommCallback and the
 * listeners; the synchronous return of a call is a TIMResult (TIMCloud.h). Hand-written; the names
 * and values are checked against protocol/src/code.rs by tests/c_abi.rs.
 */
#ifndef IMSDK_TIMERRORCODE_H
#define IMSDK_TIMERRORCODE_H

enum TIMErrCode {
    /* No error. */
    ERR_SUCC = 0,
    /* No answer within the request timeout (library side); also a cluster server whose shared
     * store did not answer (nothing changed; retry). */
    ERR_REQUEST_TIME_OUT = 6012,
    /* Not logged in (or kicked offline). */
    ERR_SDK_NOT_LOGGED_IN = 6014,
    /* Invalid parameter. */
    ERR_INVALID_PARAMETERS = 6017,
    /* Malformed JSON. */
    ERR_INVALID_JSON = 6027,
    /* Another login of the same account took this session's place. */
    ERR_LOGIN_KICKED_OFF_BY_OTHER = 6208,
    /* Identifier not printable ASCII (0x20-0x7e) or longer than 32 bytes. */
    ERR_SDK_COMM_INVALID_IDENTIFIER = 7003,
    /* API called too often. */
    ERR_SDK_COMM_API_CALL_FREQUENCY_LIMIT = 7008,
    /* Interrupted by TIMUninit. */
    ERR_SDK_COMM_INTERRUPT = 7009,
    /* The app's plan (or this library) does not support the call. */
    ERR_SDK_INTERFACE_NOT_SUPPORT = 7013,
    /* A login is in progress. */
    ERR_SDK_ACCOUNT_LOGIN_IN_PROCESS = 7501,
    /* A logout is in progress. */
    ERR_SDK_ACCOUNT_LOGOUT_IN_PROCESS = 7502,
    /* The connection was lost before the answer came. */
    ERR_SDK_NET_DISCONNECT = 9508,
    /* UserSig expired. */
    ERR_SVR_ACCOUNT_USERSIG_EXPIRED = 70001,
    /* UserSig check failed. */
    ERR_SVR_ACCOUNT_USERSIG_CHECK_FAILED = 70003,
    /* UserSig made for another identifier. */
    ERR_SVR_ACCOUNT_USERSIG_MISMATCH_ID = 70013,
    /* UserSig made for another SDKAppID. */
    ERR_SVR_ACCOUNT_USERSIG_MISMATCH_SDKAPPID = 70014,
    /* Too many failed logins: retry after a minute. */
    ERR_SVR_ACCOUNT_FREQ_LIMIT = 70050,
    /* The account does not exist (import it first; the dev server imports on first login). */
    ERR_SVR_ACCOUNT_NOT_FOUND = 70107,
    /* The user-status feature is switched off in the console. */
    ERR_SVR_ACCOUNT_USER_STATUS_DISABLED = 72001
};

#endif /* IMSDK_TIMERRORCODE_H */
