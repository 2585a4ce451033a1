// UTF-8 strings in both directions (Tencent's wrapper used ANSI and never freed what it allocated).
using System;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace com.tencent.imsdk.unity.native
{
    /// <summary>A NUL-terminated UTF-8 copy of a string in unmanaged memory, freed on Dispose.
    /// Use it in a using block around the native call: the library copies what it keeps.</summary>
    internal struct Utf8String : IDisposable
    {
        private static long live;

        /// <summary>Unmanaged copies allocated and not yet freed (tests assert it returns to zero).</summary>
        internal static long Live { get { return Interlocked.Read(ref live); } }

        public IntPtr Ptr { get; private set; }

        /// <summary>A null string gives a NULL pointer (the C API treats NULL as "absent").</summary>
        public Utf8String(string s) : this()
        {
            if (s == null)
            {
                Ptr = IntPtr.Zero;
                return;
            }
            byte[] bytes = Encoding.UTF8.GetBytes(s);
            Ptr = Marshal.AllocHGlobal(bytes.Length + 1);
            Marshal.Copy(bytes, 0, Ptr, bytes.Length);
            Marshal.WriteByte(Ptr, bytes.Length, 0);
            Interlocked.Increment(ref live);
        }

        public void Dispose()
        {
            if (Ptr == IntPtr.Zero) return;
            Marshal.FreeHGlobal(Ptr);
            Ptr = IntPtr.Zero;
            Interlocked.Decrement(ref live);
        }

        /// <summary>Copies a NUL-terminated UTF-8 string the library lends for the duration of a call.
        /// NULL gives "" (as Tencent's wrapper does); invalid UTF-8 becomes U+FFFD.</summary>
        public static string Read(IntPtr p)
        {
            if (p == IntPtr.Zero) return "";
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            if (len == 0) return "";
            byte[] bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>Reads a NUL-terminated UTF-8 string from a buffer of known size without running past it.</summary>
        public static string ReadBounded(IntPtr p, int size)
        {
            byte[] bytes = new byte[size];
            Marshal.Copy(p, bytes, 0, size);
            int len = Array.IndexOf(bytes, (byte)0);
            return Encoding.UTF8.GetString(bytes, 0, len < 0 ? size : len);
        }
    }
}
