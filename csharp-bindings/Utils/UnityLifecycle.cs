// Play mode in the Unity Editor: the native library stays loaded between plays, and with "Enter Play
// Mode Options" (no domain reload) so do the static fields. Leaving Play (Application.quitting) calls
// Uninit; entering Play (SubsystemRegistration, before any scene loads) resets the static state, so a
// Play that skipped Uninit leaves no listener, queued callback or running library to the next.
#if UNITY_5_3_OR_NEWER
using UnityEngine;
#endif

namespace com.tencent.imsdk.unity.utils
{
    internal static class UnityLifecycle
    {
        private static bool quittingHooked;

#if UNITY_5_3_OR_NEWER
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
#endif
        internal static void OnSubsystemRegistration()
        {
            TencentIMSDK.ResetStaticState();
            // Static fields survive without a domain reload: hook once per domain.
            if (quittingHooked) return;
            quittingHooked = true;
#if UNITY_5_3_OR_NEWER
            Application.quitting += OnQuitting;
#endif
        }

        /// <summary>Application.quitting: the player quits, or the Editor leaves Play mode.</summary>
        internal static void OnQuitting()
        {
            if (TencentIMSDK.IsInitialized) TencentIMSDK.Uninit();
        }
    }
}
