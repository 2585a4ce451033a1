using System.Runtime.CompilerServices;

// The Mono test suite (tests/csharp) and the package's Unity tests check internal counters
// (pending calls, live unmanaged strings, posted drain jobs).
[assembly: InternalsVisibleTo("ImSDK.Tests")]
[assembly: InternalsVisibleTo("com.tencent.imsdk.unity.Tests")]
