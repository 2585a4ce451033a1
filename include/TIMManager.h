/*
 * TIMManager.h: Tencent's header name, for code written against Tencent's split headers. This library
 * declares everything (TIM_DECL, TIMResult, TIMCommCallback, the enums and every function) in
 * TIMCloud.h, and its error codes in TIMErrorCode.h; this file includes them.
 */
#ifndef IMSDK_TIMMANAGER_H
#define IMSDK_TIMMANAGER_H

#include "TIMCloud.h"

#endif /* IMSDK_TIMMANAGER_H */
