using System;
using Newtonsoft.Json;

namespace com.tencent.imsdk.unity.utils
{
    /// <summary>JSON as the bindings use it (Tencent's Utils.ToJson / Utils.FromJson): null members are
    /// left out, unknown keys ignored.</summary>
    public static class Utils
    {
        private static readonly JsonSerializerSettings Settings = new JsonSerializerSettings
        {
            NullValueHandling = NullValueHandling.Ignore,
            MissingMemberHandling = MissingMemberHandling.Ignore,
        };

        public static string ToJson(object value)
        {
            return JsonConvert.SerializeObject(value, Formatting.None, Settings);
        }

        /// <summary>The raw text when T is string; otherwise the parsed value, or default (logged) when
        /// the text is empty or not valid JSON for T.</summary>
        public static T FromJson<T>(string json)
        {
            if (typeof(T) == typeof(string)) return (T)(object)json;
            if (string.IsNullOrEmpty(json)) return default(T);
            try
            {
                return JsonConvert.DeserializeObject<T>(json, Settings);
            }
            catch (Exception e)
            {
                Log.Error("cannot parse " + typeof(T).Name + " from " + json + ": " + e.Message);
                return default(T);
            }
        }
    }
}
