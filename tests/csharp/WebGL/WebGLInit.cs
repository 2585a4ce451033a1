// Built by scripts/test-csharp.sh with the bindings compiled as for a WebGL player (UNITY_WEBGL): Init
// must refuse with PlatformNotSupportedException before touching any native function. Exit 0 when so.
using System;
using com.tencent.imsdk.unity;
using com.tencent.imsdk.unity.types;

public static class WebGLInit
{
    public static int Main()
    {
        try
        {
            TencentIMSDK.Init(1400000001, new SdkConfig());
        }
        catch (PlatformNotSupportedException e)
        {
            Console.WriteLine("WebGL: " + e.Message);
            return e.Message.Contains("WebGL") ? 0 : 1;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine("WebGL: Init threw " + e.GetType().Name + " instead: " + e.Message);
            return 1;
        }
        Console.Error.WriteLine("WebGL: Init did not refuse");
        return 1;
    }
}
