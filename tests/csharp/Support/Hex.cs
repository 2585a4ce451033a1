using System;
using System.Text;

namespace ImSDK.Tests.Support
{
    /// <summary>UTF-8 bytes as hex, so text crosses the peer's stdin/stdout byte for byte ("-" is empty).</summary>
    public static class Hex
    {
        public static string Encode(string text)
        {
            if (string.IsNullOrEmpty(text)) return "-";
            return BitConverter.ToString(Encoding.UTF8.GetBytes(text)).Replace("-", "").ToLowerInvariant();
        }

        public static string Decode(string hex)
        {
            if (hex == "-") return "";
            byte[] bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = Convert.ToByte(hex.Substring(2 * i, 2), 16);
            return Encoding.UTF8.GetString(bytes);
        }
    }
}
