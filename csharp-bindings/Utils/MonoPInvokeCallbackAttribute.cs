// Unity (and Xamarin) provide AOT.MonoPInvokeCallbackAttribute, which IL2CPP needs on every static
// method handed to native code. Outside Unity (plain Mono, the tests) this shim stands in for it so
// the same source compiles unchanged.
#if !UNITY_5_3_OR_NEWER
namespace AOT
{
    [System.AttributeUsage(System.AttributeTargets.Method)]
    internal sealed class MonoPInvokeCallbackAttribute : System.Attribute
    {
        public MonoPInvokeCallbackAttribute(System.Type type) { }
    }
}
#endif
