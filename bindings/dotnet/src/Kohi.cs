// kohi for .NET (netstandard2.0: .NET Framework 4.8 and .NET 8): an idiomatic layer over the
// generated P/Invoke declarations (Native.g.cs). Strings cross as UTF-8 bytes (or CP932 when the
// options ask for it), never through the ANSI code page; paths as UTF-16, Windows' own form.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using System.Diagnostics;
using KohiNet.Native;

// The tests (Tests.exe) check LibraryCheck's rules directly.
[assembly: System.Runtime.CompilerServices.InternalsVisibleTo("Tests")]

namespace KohiNet
{
    /// <summary>A file kohi refuses, or a misuse. <see cref="Code"/> is the stable snake_case code,
    /// <see cref="Number"/> the stable number; the message says where, never patient data.</summary>
    public sealed class KohiException : Exception
    {
        /// <summary>The stable snake_case code (<c>"malformed_xml"</c>, <c>"input_too_large"</c>…).</summary>
        public string Code { get; }
        /// <summary>The stable number of <see cref="Code"/> (<c>kohi_status</c>): never reused.</summary>
        public uint Number { get; }

        /// <summary>The OS error number of an <c>io</c> error (<c>GetLastError</c> on Windows,
        /// <c>errno</c> elsewhere), or 0 when the error is not one or the OS gave none.</summary>
        public int OsCode { get; }

        internal KohiException(uint number, string code, string message, int osCode = 0) : base(message)
        {
            Number = number;
            Code = code;
            OsCode = osCode;
        }

        /// <summary>From an error object, which stays its owner's (a watch event's, or the
        /// caller's to free).</summary>
        internal static KohiException Of(IntPtr error)
        {
            NativeMethods.kohi_error_name_out(error, out KohiStr code);
            NativeMethods.kohi_error_message_out(error, out KohiStr message);
            NativeMethods.kohi_error_os_code(error, out int osCode);
            return new KohiException(NativeMethods.kohi_error_code(error), Text.Utf8(code), Text.Utf8(message), osCode);
        }

        /// <summary>From a status and the error object (freed here), if any.</summary>
        internal static KohiException From(uint status, IntPtr error)
        {
            try
            {
                if (error != IntPtr.Zero) return Of(error);
                NativeMethods.kohi_status_name_out(status, out KohiStr name);
                string n = Text.Utf8(name);
                return new KohiException(status, n, n);
            }
            finally
            {
                NativeMethods.kohi_error_free(error);
            }
        }
    }

    internal static class Text
    {
        internal static byte[] Bytes(KohiStr s)
        {
            if (s.Ptr == IntPtr.Zero) return null;
            var bytes = new byte[(int)s.Length];
            Marshal.Copy(s.Ptr, bytes, 0, bytes.Length);
            return bytes;
        }

        internal static string Utf8(KohiStr s)
        {
            byte[] bytes = Bytes(s);
            return bytes == null ? null : Encoding.UTF8.GetString(bytes);
        }

        /// <summary>A string kohi returned (UTF-8, NUL-terminated), freed here.</summary>
        internal static string TakeCString(IntPtr p)
        {
            try
            {
                int length = 0;
                while (Marshal.ReadByte(p, length) != 0) length++;
                var bytes = new byte[length];
                Marshal.Copy(p, bytes, 0, length);
                return Encoding.UTF8.GetString(bytes);
            }
            finally
            {
                NativeMethods.kohi_string_free(p);
            }
        }

        /// <summary>A NUL-terminated UTF-8 copy, for `const char *` arguments.</summary>
        internal static byte[] CString(string s)
        {
            byte[] text = Encoding.UTF8.GetBytes(s);
            var bytes = new byte[text.Length + 1];
            Buffer.BlockCopy(text, 0, bytes, 0, text.Length);
            return bytes;
        }
    }

    /// <summary>A native object kohi allocated for .NET, freed once: by Dispose, or else by the
    /// finalizer, and never while a call on it is running. Every call holds it (<see cref="Hold"/>):
    /// SafeHandle counts the holds, and a Dispose from another thread or a finalizer frees the object
    /// only after the last one. A bare IntPtr gave neither: a Dispose while another thread waited
    /// in <see cref="Watcher.Next"/> freed the watcher under it (the process died of heap
    /// corruption), and the JIT may end an object's life at its pointer's last use, so that its
    /// finalizer could free it during a call still reading it.</summary>
    internal sealed class KohiHandle : SafeHandle
    {
        /// <summary>How many objects of one kind are not freed yet (disposed or finalized).</summary>
        internal sealed class LiveCount
        {
            private int count;
            internal int Count => System.Threading.Volatile.Read(ref count);
            internal void Add(int n) => System.Threading.Interlocked.Add(ref count, n);
        }

        /// <summary>Results, watch events, and the rest (watchers, streams): for leak checks.</summary>
        internal static readonly LiveCount Results = new LiveCount(), Events = new LiveCount(), Others = new LiveCount();

        private static long pressure;
        /// <summary>The memory pressure added for live objects (for the tests).</summary>
        internal static long Pressure => System.Threading.Interlocked.Read(ref pressure);
        private long bytes;
        private readonly Action<IntPtr> free;
        private readonly LiveCount live;
        private readonly bool owns;

        /// <summary>An object <c>free</c> frees, counted in <c>live</c>; <c>owns</c> false for one
        /// borrowed from another (a watch event's result: the event frees it, and carries its
        /// memory pressure), which is neither freed nor counted here.</summary>
        internal KohiHandle(IntPtr handle, Action<IntPtr> free, LiveCount live, bool owns = true) : base(IntPtr.Zero, owns)
        {
            SetHandle(handle);
            this.free = free;
            this.live = live;
            this.owns = owns;
            if (owns) live.Add(1);
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        /// <summary>Tells the GC that this object holds about <c>bytes</c> outside it (memory
        /// pressure, taken back when it is freed), so that a loop that leaves parsed documents to
        /// the finalizer collects by the memory really held. Once, on an object this handle frees.</summary>
        internal void HoldsOutside(long bytes)
        {
            if (bytes <= 0 || this.bytes != 0 || !owns) return;
            this.bytes = bytes;
            GC.AddMemoryPressure(bytes);
            System.Threading.Interlocked.Add(ref pressure, bytes);
        }

        protected override bool ReleaseHandle()
        {
            free(handle);
            live.Add(-1);
            if (bytes > 0)
            {
                GC.RemoveMemoryPressure(bytes);
                System.Threading.Interlocked.Add(ref pressure, -bytes);
            }
            return true;
        }
    }

    /// <summary>Holds native objects for the calls of one method (see <see cref="KohiHandle"/>); a
    /// borrowed object (a watch event's result) holds its owner too. Throws ObjectDisposedException
    /// naming <c>what</c> once either is disposed.</summary>
    internal struct Hold : IDisposable
    {
        private readonly SafeHandle handle, owner;
        private readonly bool held, ownerHeld;
        internal readonly IntPtr Ptr;

        internal Hold(SafeHandle handle, SafeHandle owner, string what)
        {
            this.handle = handle;
            this.owner = owner;
            held = false;
            ownerHeld = false;
            Ptr = IntPtr.Zero;
            try
            {
                handle.DangerousAddRef(ref held);
                if (owner != null) owner.DangerousAddRef(ref ownerHeld);
            }
            catch (ObjectDisposedException)
            {
                Dispose();
                throw new ObjectDisposedException(what);
            }
            Ptr = handle.DangerousGetHandle();
        }

        public void Dispose()
        {
            if (ownerHeld) owner.DangerousRelease();
            if (held) handle.DangerousRelease();
        }
    }

    /// <summary>How to parse: strings in CP932 instead of UTF-8, a layout file.</summary>
    public sealed class ParseOptions
    {
        /// <summary>Getters return CP932 bytes (<see cref="KohiResult.GetQualificationBytes"/>); JSON stays UTF-8.</summary>
        public bool Cp932Strings { get; set; }
        /// <summary>A layout file (JSON) for the PMH layout of your site (see <c>kohi survey</c>).</summary>
        public string LayoutJson { get; set; }
        /// <summary>Element aliases, as JSON: <c>{"CanonicalName": ["Alias", …]}</c>.</summary>
        public string AliasesJson { get; set; }
        /// <summary>The largest input accepted, in bytes (null: kohi's default). A bulk file larger
        /// than the default needs this, streamed (<see cref="Kohi.Stream"/>) or parsed whole.</summary>
        public ulong? MaxInputBytes { get; set; }
        /// <summary>Limits on a document's shape, by <see cref="KohiLimit"/> (a stream applies them
        /// per patient); the ones not set keep kohi's defaults.</summary>
        public IDictionary<KohiLimit, ulong> Limits { get; } = new Dictionary<KohiLimit, ulong>();
        /// <summary>How the <see cref="Watcher"/> pairs a PMH document with its result: rule names
        /// separated by commas, in order (<c>arbitrary_file_identifier</c>, <c>free_name</c>), or
        /// <c>none</c>. Null: kohi's default (both, in that order).</summary>
        public string PairBy { get; set; }
        /// <summary>Where the <see cref="Watcher"/> moves each file once acknowledged (never deleting,
        /// never overwriting). Null: files stay where the terminal wrote them.</summary>
        public string DoneDir { get; set; }
        /// <summary>The <see cref="Watcher"/>'s ledger of acknowledged files (SQLite). Null:
        /// <c>root/.kohi-inbox.sqlite</c>. Not in <c>res/</c> or <c>face/</c>.</summary>
        public string StateFile { get; set; }

        internal IntPtr Create()
        {
            IntPtr options = NativeMethods.kohi_options_new();
            try
            {
                if (Cp932Strings) NativeMethods.kohi_options_set_string_encoding(options, (uint)KohiStringEncoding.Cp932);
                IntPtr error;
                if (LayoutJson != null) Check(NativeMethods.kohi_options_set_layout_json(options, Text.CString(LayoutJson), out error), error);
                if (AliasesJson != null) Check(NativeMethods.kohi_options_set_aliases_json(options, Text.CString(AliasesJson), out error), error);
                if (PairBy != null) Check(NativeMethods.kohi_options_set_pair_by(options, Text.CString(PairBy), out error), error);
                if (DoneDir != null) Check(NativeMethods.kohi_options_set_done_dir(options, Text.CString(DoneDir), out error), error);
                if (StateFile != null) Check(NativeMethods.kohi_options_set_state_file(options, Text.CString(StateFile), out error), error);
                if (MaxInputBytes.HasValue) Check(NativeMethods.kohi_options_set_max_input_bytes(options, Size(MaxInputBytes.Value)), IntPtr.Zero);
                foreach (var limit in Limits)
                    Check(NativeMethods.kohi_options_set_limit(options, (uint)limit.Key, Size(limit.Value)), IntPtr.Zero);
                return options;
            }
            catch
            {
                NativeMethods.kohi_options_free(options);
                throw;
            }
        }

        private static void Check(uint status, IntPtr error)
        {
            if (status != 0) throw KohiException.From(status, error);
        }

        /// <summary>A size_t: on a 32-bit process a value past its range is its largest.</summary>
        private static UIntPtr Size(ulong value) =>
            new UIntPtr(UIntPtr.Size == 4 ? Math.Min(value, uint.MaxValue) : value);
    }

    /// <summary>One 公費 as a レセコン fills it in.</summary>
    public sealed class KohiEntry
    {
        /// <summary>1–4 for 第1〜第4公費; null past the fourth.</summary>
        public int? Slot { get; internal set; }
        /// <summary><c>"pmh"</c> (PMH 医療費助成) or <c>"medical_aid"</c> (医療扶助).</summary>
        public string Source { get; internal set; }
        /// <summary>法別番号: the first two digits of the 公費負担者番号.</summary>
        public string LawNumber { get; internal set; }
        /// <summary>公費負担者番号, normalised (8 ASCII digits when valid). Personal data: do not log it.</summary>
        public string PayerNumber { get; internal set; }
        /// <summary>都道府県番号: digits 3–4 of the 公費負担者番号.</summary>
        public string PrefectureNumber { get; internal set; }
        /// <summary>実施機関番号: digits 5–7 of the 公費負担者番号.</summary>
        public string AgencyNumber { get; internal set; }
        /// <summary>The 公費負担者番号 as the file wrote it (full-width, padded). Personal data: do not log it.</summary>
        public string PayerNumberRaw { get; internal set; }
        /// <summary>Whether the 公費負担者番号's check digit (検証番号) holds; null when there is no number.</summary>
        public bool? PayerNumberValid { get; internal set; }
        /// <summary>受給者番号, normalised (half-width, no padding). Personal data: do not log it.</summary>
        public string RecipientNumber { get; internal set; }
        /// <summary>The 受給者番号 as the file wrote it. Personal data: do not log it.</summary>
        public string RecipientNumberRaw { get; internal set; }
        /// <summary>Whether the 受給者番号's check digit holds; null when kohi has no verdict (a
        /// 地方単独 number, whose rule is the municipality's, or no number).</summary>
        public bool? RecipientNumberValid { get; internal set; }
        /// <summary><c>"national"</c> (法別 in the national table) or <c>"local"</c> (地方単独).</summary>
        public string Scope { get; internal set; }
        /// <summary>The program (制度) of a national 法別; null for 地方単独.</summary>
        public string Program { get; internal set; }
        /// <summary>The certificate's name as PMH sent it, if any.</summary>
        public string CertificateName { get; internal set; }
        /// <summary>First day of validity, YYYY-MM-DD (the text as sent when it is not a date).</summary>
        public string ValidFrom { get; internal set; }
        /// <summary>Last day of validity, YYYY-MM-DD (the text as sent when it is not a date).</summary>
        public string ValidTo { get; internal set; }
        /// <summary>所得区分, as sent.</summary>
        public string IncomeSegment { get; internal set; }
        /// <summary>自己負担上限額 in yen as ASCII digits, when the cap is a plain amount (<c>ToJson()</c>
        /// has a cap of several items).</summary>
        public string MaxCopayment { get; internal set; }
        /// <summary>償還払い only (PMH <c>AlwaysReimbursement</c>); null when not sent.</summary>
        public bool? AlwaysReimbursement { get; internal set; }
        /// <summary>医療扶助: 福祉事務所名.</summary>
        public string WelfareOfficeName { get; internal set; }
        /// <summary>Among certificates with the same numbers: <c>"current"</c>, <c>"superseded"</c> or
        /// <c>"not_yet_valid"</c>; null when there is no other.</summary>
        public string Renewal { get; internal set; }
    }

    /// <summary>A 被保険者証 query for <see cref="Kohi.WriteRequest"/>. Its fields are personal
    /// data: do not log them.</summary>
    public sealed class QualificationRequest
    {
        /// <summary>医療機関コード (10 digits). Required.</summary>
        public string MedicalInstitutionCode { get; set; }
        /// <summary>資格確認日 (null: today in Japan).</summary>
        public DateTime? QualificationConfirmationDate { get; set; }
        /// <summary>保険者番号 (8 digits, or 6 for 国保). Required.</summary>
        public string InsurerNumber { get; set; }
        /// <summary>被保険者証記号.</summary>
        public string InsuredCardSymbol { get; set; }
        /// <summary>被保険者証番号. Required.</summary>
        public string InsuredIdentificationNumber { get; set; }
        /// <summary>枝番 (2 digits).</summary>
        public string InsuredBranchNumber { get; set; }
        /// <summary>生年月日. Required.</summary>
        public DateTime? Birthdate { get; set; }
        /// <summary>Ask for 限度額適用認定証 information (限度額適用同意).</summary>
        public bool LimitApplicationConsent { get; set; }
        /// <summary>任意のファイル識別子, echoed in the result (pairs it with this request).</summary>
        public string ArbitraryFileIdentifier { get; set; }

        private static string Day(DateTime? day) =>
            day?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        /// <summary>Every field by its C ABI number, null when unset.</summary>
        internal IEnumerable<KeyValuePair<KohiRequestField, string>> Fields()
        {
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.MedicalInstitutionCode, MedicalInstitutionCode);
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.QualificationConfirmationDate, Day(QualificationConfirmationDate));
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.InsurerNumber, InsurerNumber);
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.InsuredCardSymbol, InsuredCardSymbol);
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.InsuredIdentificationNumber, InsuredIdentificationNumber);
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.InsuredBranchNumber, InsuredBranchNumber);
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.Birthdate, Day(Birthdate));
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.LimitApplicationConsent, LimitApplicationConsent ? "1" : "0");
            yield return new KeyValuePair<KohiRequestField, string>(KohiRequestField.ArbitraryFileIdentifier, ArbitraryFileIdentifier);
        }
    }

    /// <summary>Something worth a look that did not stop the parse (a 公費 outside its period,
    /// a fifth 公費, PMH data under a name the layout does not know…): says where, never what.</summary>
    public sealed class KohiWarning
    {
        /// <summary>The stable snake_case code (<c>"kohi_outside_period"</c>, <c>"slot_overflow"</c>…).</summary>
        public string Code { get; internal set; }
        /// <summary>The path of the element concerned.</summary>
        public string Path { get; internal set; }
    }

    /// <summary>An element or <c>@attribute</c> kohi does not know, kept whole (never dropped).</summary>
    public sealed class KohiUnknownElement
    {
        /// <summary>Its path in the document.</summary>
        public string Path { get; internal set; }
        /// <summary>Its text, or null. It may be personal data: do not log it.</summary>
        public string Text { get; internal set; }
    }

    /// <summary>A parsed result file. Dispose it (a finalizer frees it otherwise).</summary>
    public sealed class KohiResult : IDisposable
    {
        private readonly KohiHandle handle;
        /// <summary>The watch event a borrowed result belongs to (null when the result is its own).</summary>
        private readonly SafeHandle owner;

        /// <summary>`owner`: the event a borrowed result belongs to; `bytes`: see <see cref="KohiHandle.HoldsOutside"/>.</summary>
        internal KohiResult(IntPtr result, SafeHandle owner = null, long bytes = 0)
        {
            handle = new KohiHandle(result, NativeMethods.kohi_result_free, KohiHandle.Results, owner == null);
            handle.HoldsOutside(bytes);
            this.owner = owner;
        }

        /// <summary>The result held for one method's calls (see <see cref="KohiHandle"/>).</summary>
        private Hold Use() => new Hold(handle, owner, nameof(KohiResult));

        /// <summary>The JSON contract (UTF-8), exactly what every kohi binding returns.</summary>
        public string ToJson()
        {
            using (var r = Use())
            {
                uint status = NativeMethods.kohi_result_to_json(r.Ptr, out IntPtr json);
                if (status != 0) throw KohiException.From(status, IntPtr.Zero);
                return Text.TakeCString(json);
            }
        }

        /// <summary>One patient as in the JSON contract (what <see cref="ToJson"/> holds for it under
        /// <c>"patients"</c>): for storing one person of a bulk file without the whole file's JSON.</summary>
        public string PatientToJson(int patient)
        {
            using (var r = Use())
            {
                uint status = NativeMethods.kohi_patient_to_json(r.Ptr, (UIntPtr)patient, out IntPtr json);
                if (status != 0) throw KohiException.From(status, IntPtr.Zero);
                return Text.TakeCString(json);
            }
        }

        /// <summary>The persons in the file: one for a single result, one per unit of a bulk result.</summary>
        public int PatientCount
        {
            get
            {
                using (var r = Use())
                {
                    NativeMethods.kohi_patient_count(r.Ptr, out UIntPtr count);
                    return (int)count;
                }
            }
        }

        /// <summary>A field of the file's <c>MessageHeader</c>, or null when it did not come.</summary>
        public string Header(KohiHeaderField field)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_header_get(r.Ptr, (uint)field, out KohiStr value));
                return Text.Utf8(value);
            }
        }

        /// <summary>A qualification field as the bytes kohi holds (UTF-8, or CP932 with <see cref="ParseOptions.Cp932Strings"/>).</summary>
        public byte[] GetQualificationBytes(int patient, int index, KohiQualificationField field)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_qualification_get(r.Ptr, (UIntPtr)patient, (UIntPtr)index, (uint)field, out KohiStr value));
                return Text.Bytes(value);
            }
        }

        /// <summary>A qualification field as text (null when absent).</summary>
        public string Qualification(int patient, int index, KohiQualificationField field)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_qualification_get(r.Ptr, (UIntPtr)patient, (UIntPtr)index, (uint)field, out KohiStr value));
                return Text.Utf8(value);
            }
        }

        /// <summary>How many qualification results a patient has.</summary>
        public int QualificationCount(int patient)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_qualification_count(r.Ptr, (UIntPtr)patient, out UIntPtr count));
                return (int)count;
            }
        }

        /// <summary>A patient-level field as text (null when absent).</summary>
        public string Patient(int patient, KohiPatientField field)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_patient_get(r.Ptr, (UIntPtr)patient, (uint)field, out KohiStr value));
                return Text.Utf8(value);
            }
        }

        /// <summary>Results not yet freed (disposed or finalized): for tests and leak checks.</summary>
        public static int LiveResults => KohiHandle.Results.Count;

        /// <summary>What is worth a look in the file, in document order (<c>ToJson()</c>'s <c>warnings</c>).</summary>
        public IReadOnlyList<KohiWarning> Warnings => Items(
            ptr => { Check(NativeMethods.kohi_warning_count(ptr, out UIntPtr n)); return n; },
            (ptr, i) => new KohiWarning
            {
                Code = Item(NativeMethods.kohi_warning_get, ptr, i, (uint)KohiWarningField.Code),
                Path = Item(NativeMethods.kohi_warning_get, ptr, i, (uint)KohiWarningField.Path),
            });

        /// <summary>The elements and attributes kohi does not know, kept whole (<c>ToJson()</c>'s <c>unknown_elements</c>).</summary>
        public IReadOnlyList<KohiUnknownElement> UnknownElements => Items(
            ptr => { Check(NativeMethods.kohi_unknown_count(ptr, out UIntPtr n)); return n; },
            (ptr, i) => new KohiUnknownElement
            {
                Path = Item(NativeMethods.kohi_unknown_get, ptr, i, (uint)KohiUnknownField.Path),
                Text = Item(NativeMethods.kohi_unknown_get, ptr, i, (uint)KohiUnknownField.Text),
            });

        /// <summary>A <c>kohi_&lt;list&gt;_get</c> of the C ABI.</summary>
        private delegate uint ItemGetter(IntPtr result, UIntPtr index, uint field, out KohiStr value);

        /// <summary>One text field of one item of a list.</summary>
        private static string Item(ItemGetter get, IntPtr ptr, UIntPtr index, uint field)
        {
            Check(get(ptr, index, field, out KohiStr value));
            return Text.Utf8(value);
        }

        /// <summary>Every item of one of the result's lists: its count, then each item by index.</summary>
        private IReadOnlyList<T> Items<T>(Func<IntPtr, UIntPtr> count, Func<IntPtr, UIntPtr, T> item)
        {
            using (var r = Use())
            {
                var list = new List<T>();
                ulong n = count(r.Ptr).ToUInt64();
                for (ulong i = 0; i < n; i++) list.Add(item(r.Ptr, (UIntPtr)i));
                return list;
            }
        }

        /// <summary>The 公費 of a patient in レセプト order (slots 1–4 first).</summary>
        public IReadOnlyList<KohiEntry> Kohi(int patient)
        {
            using (var r = Use())
            {
                IntPtr ptr = r.Ptr;
                Check(NativeMethods.kohi_kohi_count(ptr, (UIntPtr)patient, out UIntPtr count));
                var list = new List<KohiEntry>();
                for (int i = 0; i < (int)count; i++)
                {
                    Func<KohiKohiField, string> get = field =>
                    {
                        Check(NativeMethods.kohi_kohi_get(ptr, (UIntPtr)patient, (UIntPtr)i, (uint)field, out KohiStr value));
                        return Text.Utf8(value);
                    };
                    Func<KohiKohiFlag, bool?> flag = which =>
                    {
                        Check(NativeMethods.kohi_kohi_get_flag(ptr, (UIntPtr)patient, (UIntPtr)i, (uint)which, out int value));
                        switch ((KohiTristate)value)
                        {
                            case KohiTristate.True: return true;
                            case KohiTristate.False: return false;
                            default: return null;
                        }
                    };
                    NativeMethods.kohi_kohi_slot(ptr, (UIntPtr)patient, (UIntPtr)i, out uint slot);
                    list.Add(new KohiEntry
                    {
                        Slot = slot == 0 ? (int?)null : (int)slot,
                        Source = get(KohiKohiField.Source),
                        LawNumber = get(KohiKohiField.LawNumber),
                        PrefectureNumber = get(KohiKohiField.PrefectureNumber),
                        AgencyNumber = get(KohiKohiField.AgencyNumber),
                        PayerNumber = get(KohiKohiField.PayerNumber),
                        PayerNumberRaw = get(KohiKohiField.PayerNumberRaw),
                        PayerNumberValid = flag(KohiKohiFlag.PayerNumberValid),
                        RecipientNumber = get(KohiKohiField.RecipientNumber),
                        RecipientNumberRaw = get(KohiKohiField.RecipientNumberRaw),
                        RecipientNumberValid = flag(KohiKohiFlag.RecipientNumberValid),
                        Scope = get(KohiKohiField.Scope),
                        Program = get(KohiKohiField.Program),
                        CertificateName = get(KohiKohiField.CertificateName),
                        ValidFrom = get(KohiKohiField.ValidFrom),
                        ValidTo = get(KohiKohiField.ValidTo),
                        IncomeSegment = get(KohiKohiField.IncomeSegment),
                        MaxCopayment = get(KohiKohiField.MaxCopayment),
                        AlwaysReimbursement = flag(KohiKohiFlag.AlwaysReimbursement),
                        WelfareOfficeName = get(KohiKohiField.WelfareOfficeName),
                        Renewal = get(KohiKohiField.Renewal),
                    });
                }
                return list;
            }
        }

        /// <summary>Compares stored 公費 (a JSON array of records) with a patient, as of <paramref name="today"/>
        /// ("YYYY-MM-DD"); the changes as a JSON array. Absence never proposes ending a 公費.</summary>
        public string Reconcile(string storedJson, int patient, string today)
        {
            using (var r = Use())
            {
                Check(NativeMethods.kohi_reconcile_json(Text.CString(storedJson), r.Ptr, (UIntPtr)patient, Text.CString(today), out IntPtr json));
                return Text.TakeCString(json);
            }
        }

        private static void Check(uint status)
        {
            if (status != 0) throw KohiException.From(status, IntPtr.Zero);
        }

        /// <summary>Frees the result; a second call does nothing.</summary>
        public void Dispose() => handle.Dispose();
    }

    /// <summary>Whether the loaded library can serve these declarations (NativeMethods checks it
    /// before its first call).</summary>
    internal static class LibraryCheck
    {
        /// <summary>Why not, or null. <paramref name="libraryVersion"/> null: the process alone.</summary>
        internal static string Problem(int pointerSize, string libraryVersion)
        {
            if (pointerSize != 8)
                return "kohi.dll is 64-bit only, and this process is 32-bit: build the program for x64 " +
                       "(platform target x64, not AnyCPU with Prefer 32-bit).";
            if (libraryVersion == null) return null;
            string loaded = Abi(libraryVersion), declared = Abi(NativeMethods.DeclaredVersion);
            if (loaded == declared) return null;
            return "kohi.dll is version " + libraryVersion + ", and KohiNet was built for " +
                   NativeMethods.DeclaredVersion + ": use the kohi.dll of the same release (ABI " +
                   declared + ", which " + (loaded ?? "an unreadable version") + " is not).";
        }

        /// <summary>The ABI version of "major.minor.patch" (ffi/README.md, "Versioning"): 0.minor
        /// before 1.0, then the major; null when the text is not a version.</summary>
        private static string Abi(string version)
        {
            string[] parts = version.Split('.');
            if (parts.Length < 2 || !uint.TryParse(parts[0], out uint major) || !uint.TryParse(parts[1], out uint minor))
                return null;
            return major == 0 ? "0." + minor : major.ToString();
        }
    }

    /// <summary>kohi: read オンライン資格確認 result files and map their 公費.</summary>
    public static class Kohi
    {
        /// <summary>A result file's bytes (UTF-8 or Shift_JIS, detected; or the Web API's JSON form).</summary>
        public static KohiResult Parse(byte[] data, ParseOptions options = null)
        {
            if (data == null) throw new ArgumentNullException(nameof(data));
            return WithOptions(options, o => NativeMethods.kohi_parse(data, (UIntPtr)data.Length, o, out IntPtr r, out IntPtr e) == 0
                ? new KohiResult(r, null, HeldFor(data.Length))
                : throw KohiException.From(NativeMethods.kohi_error_code(e), e));
        }

        /// <summary>Reads and parses a file (the path goes to kohi as UTF-16, whatever the code page).</summary>
        public static KohiResult ParseFile(string path, ParseOptions options = null)
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            return WithOptions(options, o => NativeMethods.kohi_parse_file_utf16(path, o, out IntPtr r, out IntPtr e) == 0
                ? new KohiResult(r, null, HeldFor(FileSize(path)))
                : throw KohiException.From(NativeMethods.kohi_error_code(e), e));
        }

        /// <summary><see cref="ParseFile"/> on a thread-pool thread, for <c>await</c>: a UI thread
        /// stays free while a bulk file is read. The token is looked at before the parse and after
        /// it (a parse cannot stop half-way): one cancelled while the parse runs ends as a
        /// cancelled task when the parse has finished, its result freed, never leaked. A bad
        /// argument throws at the call; kohi's errors fault the task with the KohiException.</summary>
        public static Task<KohiResult> ParseFileAsync(string path, ParseOptions options = null,
            CancellationToken cancellationToken = default(CancellationToken))
        {
            if (path == null) throw new ArgumentNullException(nameof(path));
            return Task.Run(() =>
            {
                cancellationToken.ThrowIfCancellationRequested();
                KohiResult result = ParseFile(path, options);
                if (cancellationToken.IsCancellationRequested)
                {
                    result.Dispose();
                    cancellationToken.ThrowIfCancellationRequested();
                }
                return result;
            }, cancellationToken);
        }

        /// <summary>About what a document parsed whole holds for an input of <c>bytes</c>: a bulk
        /// file's model peaks below three times its size (docs/BENCHMARKS.md, "Memory"). It is
        /// the GC's memory pressure, a hint: it need not be exact, only of the right size.</summary>
        internal static long HeldFor(long bytes) => 3L * bytes;

        /// <summary>The size of the file just parsed, or 0 when it cannot be read (it is a hint).</summary>
        internal static long FileSize(string path)
        {
            if (path == null) return 0;
            try { return new System.IO.FileInfo(path).Length; }
            catch (Exception) { return 0; }
        }

        /// <summary>Writes a 被保険者証 query <c>OQSsiquc01req_&lt;freePart&gt;.xml</c> into
        /// <paramref name="reqDir"/> (the terminal's <c>req/</c>), atomically and durably (on disk
        /// when this returns), in Shift_JIS unless <paramref name="utf8"/>; returns its path.
        /// <paramref name="freePart"/> null: one no other request of this process has had. A field
        /// missing or malformed is <c>invalid_request</c> naming it (never quoting it); <c>res/</c>,
        /// <c>face/</c> or the terminal folder is <c>not_a_terminal_folder</c>; a request of the
        /// same name already there is <c>io</c>.</summary>
        public static string WriteRequest(string reqDir, QualificationRequest request, string freePart = null, bool utf8 = false)
        {
            if (reqDir == null) throw new ArgumentNullException(nameof(reqDir));
            if (request == null) throw new ArgumentNullException(nameof(request));
            return Write(reqDir, request.Fields(), freePart, utf8);
        }

        /// <summary><see cref="WriteRequest"/> on a thread-pool thread, for <c>await</c> (the write
        /// waits for the disk, or a share, to have it). The request's fields are read at the call,
        /// so changing the object afterwards changes nothing. Not cancellable: a request is written
        /// whole or not at all, and one written is reported, so that its answer is waited for.</summary>
        public static Task<string> WriteRequestAsync(string reqDir, QualificationRequest request, string freePart = null, bool utf8 = false)
        {
            if (reqDir == null) throw new ArgumentNullException(nameof(reqDir));
            if (request == null) throw new ArgumentNullException(nameof(request));
            var fields = new List<KeyValuePair<KohiRequestField, string>>(request.Fields());
            return Task.Run(() => Write(reqDir, fields, freePart, utf8));
        }

        /// <summary>The request of these fields (by their C ABI numbers) written into reqDir.</summary>
        private static string Write(string reqDir, IEnumerable<KeyValuePair<KohiRequestField, string>> fields, string freePart, bool utf8)
        {
            IntPtr q = NativeMethods.kohi_request_new();
            try
            {
                foreach (var field in fields)
                {
                    byte[] value = field.Value == null ? null : Text.CString(field.Value);
                    uint set = NativeMethods.kohi_request_set(q, (uint)field.Key, value, out IntPtr setError);
                    if (set != 0) throw KohiException.From(set, setError);
                }
                uint encoding = (uint)(utf8 ? KohiRequestEncoding.Utf8 : KohiRequestEncoding.ShiftJis);
                uint status = NativeMethods.kohi_request_write(q, Text.CString(reqDir), freePart == null ? null : Text.CString(freePart),
                    encoding, out IntPtr path, out IntPtr error);
                if (status != 0) throw KohiException.From(status, error);
                return Text.TakeCString(path);
            }
            finally { NativeMethods.kohi_request_free(q); }
        }

        /// <summary>Whether a 保険者番号, 公費負担者番号 or national 受給者番号 passes its 検証番号.</summary>
        public static bool CheckNumber(KohiNumberKind kind, string number)
        {
            uint status = NativeMethods.kohi_check_number((uint)kind, Text.CString(number), out int valid);
            if (status != 0) throw KohiException.From(status, IntPtr.Zero);
            return valid != 0;
        }

        /// <summary>The version of the loaded kohi library, e.g. <c>"0.1.0"</c>.</summary>
        public static string Version => Marshal.PtrToStringAnsi(NativeMethods.kohi_version());

        /// <summary>Surveys result files to learn your site's PMH layout: the element tree by shape,
        /// the proposals and the proposed layout file, as the JSON <c>kohi survey --json</c> prints
        /// (its <c>"layout"</c> is what <see cref="ParseOptions.LayoutJson"/> takes, or null). No value
        /// from the files is in it; a file that cannot be read is counted under <c>"failed"</c>.</summary>
        public static string SurveyFiles(IEnumerable<string> paths, ParseOptions options = null)
        {
            if (paths == null) throw new ArgumentNullException(nameof(paths));
            var names = new List<IntPtr>();
            try
            {
                foreach (string path in paths)
                {
                    if (path == null) throw new ArgumentNullException(nameof(paths), "a path is null");
                    byte[] bytes = Text.CString(path);
                    IntPtr copy = Marshal.AllocHGlobal(bytes.Length);
                    names.Add(copy);
                    Marshal.Copy(bytes, 0, copy, bytes.Length);
                }
                return WithOptions(options, o =>
                {
                    uint status = NativeMethods.kohi_survey_files_json(names.ToArray(), (UIntPtr)names.Count, o, out IntPtr json);
                    if (status != 0) throw KohiException.From(status, IntPtr.Zero);
                    return Text.TakeCString(json);
                });
            }
            finally
            {
                foreach (IntPtr copy in names) Marshal.FreeHGlobal(copy);
            }
        }

        /// <summary>The patients of a (bulk) result file one at a time, each a one-patient result
        /// (dispose each), in flat memory however many units it holds. The file is opened here (its
        /// errors are thrown here, a file past <c>MaxInputBytes</c> among them) and let go when the enumeration ends or is disposed (a
        /// <c>foreach</c> left early too); it is read once: a second enumeration throws
        /// ObjectDisposedException.</summary>
        public static IEnumerable<KohiResult> Stream(string path, ParseOptions options = null)
        {
            return Patients(OpenNative(path, options));
        }

        /// <summary>As <see cref="Stream"/>, with what the file said besides its patients once the
        /// enumeration has read it to the end (<see cref="KohiStream.Remainder"/>): the header of the
        /// answer to a failed request, which has no patient to carry it, a bulk file's status. Dispose
        /// the stream (a <c>using</c> block): that frees the remainder, and lets the file go if the
        /// enumeration did not.</summary>
        public static KohiStream OpenStream(string path, ParseOptions options = null)
        {
            return new KohiStream(OpenNative(path, options));
        }

        /// <summary>The native stream of a file, opened here (its errors are thrown here).</summary>
        private static KohiHandle OpenNative(string path, ParseOptions options)
        {
            IntPtr o = options == null ? IntPtr.Zero : options.Create();
            IntPtr stream;
            try
            {
                uint status = NativeMethods.kohi_stream_open(Text.CString(path), o, out stream, out IntPtr error);
                if (status != 0) throw KohiException.From(status, error);
            }
            finally { if (o != IntPtr.Zero) NativeMethods.kohi_options_free(o); }
            return new KohiHandle(stream, NativeMethods.kohi_stream_free, KohiHandle.Others);
        }

        /// <summary>The stream's results; the stream is freed when the enumeration ends or is
        /// disposed, or by the finalizer when an enumerator is dropped half-way. At the end, before
        /// the stream is freed, <c>atEnd</c> (if any) is given it, to take the remainder.</summary>
        internal static IEnumerable<KohiResult> Patients(KohiHandle stream, Action<IntPtr> atEnd = null)
        {
            try
            {
                while (true)
                {
                    uint status;
                    IntPtr result, error;
                    using (var s = new Hold(stream, null, "stream"))
                    {
                        status = NativeMethods.kohi_stream_next(s.Ptr, out result, out error);
                        if (status == 0 && result == IntPtr.Zero && atEnd != null) atEnd(s.Ptr);
                    }
                    if (status != 0) throw KohiException.From(status, error);
                    if (result == IntPtr.Zero) yield break;
                    yield return new KohiResult(result);
                }
            }
            finally { stream.Dispose(); }
        }

        private static T WithOptions<T>(ParseOptions options, Func<IntPtr, T> parse)
        {
            IntPtr o = options == null ? IntPtr.Zero : options.Create();
            try { return parse(o); }
            finally { if (o != IntPtr.Zero) NativeMethods.kohi_options_free(o); }
        }
    }

    /// <summary>A (bulk) result file read one patient at a time (<see cref="Kohi.OpenStream"/>):
    /// enumerate it once, as <see cref="Kohi.Stream"/>; then <see cref="Remainder"/> holds what the
    /// file said besides its patients.</summary>
    public sealed class KohiStream : IEnumerable<KohiResult>, IDisposable
    {
        private readonly KohiHandle handle;
        private bool enumerated;

        internal KohiStream(KohiHandle handle) { this.handle = handle; }

        /// <summary>Once the enumeration has read the file to its end: a result with no patients,
        /// holding the header (a failed request's SegmentOfResult and ErrorCode: such a file has no
        /// patient to carry them), a bulk file's status and the warnings and unknown elements of no
        /// one unit. Null before the end and after an error. Owned by the stream: disposed with it.</summary>
        public KohiResult Remainder { get; private set; }

        /// <summary>The patients, each a one-patient result (dispose each). The file is read once: a
        /// second enumeration throws ObjectDisposedException.</summary>
        public IEnumerator<KohiResult> GetEnumerator()
        {
            if (enumerated) throw new ObjectDisposedException(nameof(KohiStream), "a stream is read once");
            enumerated = true;
            return Kohi.Patients(handle, TakeRemainder).GetEnumerator();
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private void TakeRemainder(IntPtr stream)
        {
            uint status = NativeMethods.kohi_stream_remainder(stream, out IntPtr rest);
            if (status != 0) throw KohiException.From(status, IntPtr.Zero);
            if (rest != IntPtr.Zero) Remainder = new KohiResult(rest);
        }

        /// <summary>Lets the file go (if the enumeration has not) and frees the remainder.</summary>
        public void Dispose()
        {
            handle.Dispose();
            Remainder?.Dispose();
        }
    }

    /// <summary>One delivered file of the inbox. Call <see cref="Watcher.Ack"/> once it is stored on
    /// your side: until then it is delivered again after a restart (at least once, never lost).</summary>
    public sealed class WatchEvent : IDisposable
    {
        /// <summary>The native event: freed by Dispose, or else by the finalizer.</summary>
        internal KohiHandle Handle;
        /// <summary>Stable for the same content and name: a repeat after a restart has the same id.</summary>
        public string Id { get; internal set; }
        /// <summary>The file's path.</summary>
        public string Path { get; internal set; }
        /// <summary>What the file is: a result, a face result, a refused request, a PMH document…</summary>
        public KohiWatchKind Kind { get; internal set; }
        /// <summary>The file of the same patient from the other side (PMH document ↔ result), if seen.</summary>
        public string Related { get; internal set; }
        /// <summary>The request (in <c>req/</c>) this result answers, if kohi could pair it.</summary>
        public string Request { get; internal set; }
        /// <summary>The parsed file (owned by the event: usable until the event is disposed), or null.</summary>
        public KohiResult Result { get; internal set; }
        /// <summary>Why the file could not be used, or null.</summary>
        public KohiException Error { get; internal set; }
        /// <summary>A refused request's reason: the text of its <c>.err</c> file (kind
        /// <c>Rejected</c>), or null.</summary>
        public string Message { get; internal set; }
        /// <summary>A bulk archive's entries (kind <c>BulkArchive</c>), each parsed or with its
        /// error; empty for other events. Their results are the event's, as <see cref="Result"/> is.</summary>
        public IReadOnlyList<ArchiveEntry> Entries { get; internal set; }

        /// <summary>Events not yet freed (disposed or finalized): for tests and leak checks.</summary>
        public static int LiveEvents => KohiHandle.Events.Count;

        /// <summary>Frees the event and its results. It does not acknowledge it.</summary>
        public void Dispose()
        {
            Result?.Dispose();
            if (Entries != null) foreach (var entry in Entries) entry.Result?.Dispose();
            Handle?.Dispose();
        }
    }

    /// <summary>One entry of a bulk archive (a <c>.zip</c> of results).</summary>
    public sealed class ArchiveEntry
    {
        /// <summary>The entry's name inside the archive.</summary>
        public string Name { get; internal set; }
        /// <summary>The parsed entry (the event's: usable until the event is disposed), or null.</summary>
        public KohiResult Result { get; internal set; }
        /// <summary>Why the entry could not be used (not XML, over a limit, malformed…), or null.</summary>
        public KohiException Error { get; internal set; }
    }

    /// <summary>Watches a terminal folder (res/ and face/): every file, at least once, done only on <see cref="Ack"/>.
    /// Dispose it from any thread: a thread waiting in <see cref="Next"/> is woken with ObjectDisposedException,
    /// and the watcher is freed once that call has returned.</summary>
    public sealed class Watcher : IDisposable
    {
        private readonly KohiHandle handle;
        /// <summary>1 once Dispose has begun: set before the cancel that wakes a waiting Next, which
        /// then reads it (the handle is closed only after the cancel).</summary>
        private int disposing;

        /// <summary>Opens the inbox of a terminal folder (its ledger is <c>root/.kohi-inbox.sqlite</c>);
        /// 0 takes the default settle time (300 ms) and give-up time (30 s). One watcher per folder:
        /// a second gets <c>already_watched</c>.</summary>
        public Watcher(string root, ParseOptions options = null, uint settleMs = 0, uint giveUpAfterMs = 0)
        {
            IntPtr o = options == null ? IntPtr.Zero : options.Create();
            try
            {
                uint status = NativeMethods.kohi_watcher_new(Text.CString(root), o, settleMs, giveUpAfterMs, out IntPtr ptr, out IntPtr error);
                if (status != 0) throw KohiException.From(status, error);
                handle = new KohiHandle(ptr, NativeMethods.kohi_watcher_free, KohiHandle.Others);
            }
            finally { if (o != IntPtr.Zero) NativeMethods.kohi_options_free(o); }
        }

        /// <summary>The watcher held for one method's calls (see <see cref="KohiHandle"/>).</summary>
        private Hold Use() => new Hold(handle, null, nameof(Watcher));

        /// <summary>The next delivered file within <paramref name="timeoutMs"/>, or null.</summary>
        public WatchEvent Next(uint timeoutMs)
        {
            IntPtr e;
            using (var w = Use())
            {
                uint status = NativeMethods.kohi_watcher_next(w.Ptr, timeoutMs, out e);
                // Cancelled here only by Dispose (KohiNet does not offer cancel of its own).
                if (status == (uint)KohiStatus.Cancelled && System.Threading.Volatile.Read(ref disposing) == 1)
                    throw new ObjectDisposedException(nameof(Watcher));
                if (status != 0) throw KohiException.From(status, IntPtr.Zero);
            }
            if (e == IntPtr.Zero) return null;
            var owner = new KohiHandle(e, NativeMethods.kohi_watch_event_free, KohiHandle.Events);
            using (var ev = new Hold(owner, null, nameof(WatchEvent)))
            {
                IntPtr result = NativeMethods.kohi_watch_event_result(e);
                Func<Func<KohiStr>, string> text = read => Text.Utf8(read());
                NativeMethods.kohi_watch_event_kind(e, out uint kind);
                IntPtr error = NativeMethods.kohi_watch_event_error(e);
                KohiException failure = error == IntPtr.Zero ? null : KohiException.Of(error);
                NativeMethods.kohi_watch_event_entry_count(e, out UIntPtr entryCount);
                var entries = new List<ArchiveEntry>();
                for (int i = 0; i < (int)entryCount.ToUInt64(); i++)
                {
                    NativeMethods.kohi_watch_event_entry_name(e, (UIntPtr)i, out KohiStr name);
                    IntPtr entryResult = NativeMethods.kohi_watch_event_entry_result(e, (UIntPtr)i);
                    IntPtr entryError = NativeMethods.kohi_watch_event_entry_error(e, (UIntPtr)i);
                    entries.Add(new ArchiveEntry
                    {
                        Name = Text.Utf8(name),
                        Result = entryResult == IntPtr.Zero ? null : new KohiResult(entryResult, owner),
                        Error = entryError == IntPtr.Zero ? null : KohiException.Of(entryError),
                    });
                }
                var delivered = new WatchEvent
                {
                    Handle = owner,
                    Id = text(() => { NativeMethods.kohi_watch_event_id(e, out KohiStr s); return s; }),
                    Path = text(() => { NativeMethods.kohi_watch_event_path(e, out KohiStr s); return s; }),
                    Related = text(() => { NativeMethods.kohi_watch_event_related(e, out KohiStr s); return s; }),
                    Request = text(() => { NativeMethods.kohi_watch_event_request(e, out KohiStr s); return s; }),
                    Kind = (KohiWatchKind)kind,
                    Result = result == IntPtr.Zero ? null : new KohiResult(result, owner),
                    Error = failure,
                    Message = text(() => { NativeMethods.kohi_watch_event_message(e, out KohiStr s); return s; }),
                    Entries = entries,
                };
                // The event holds its file's document: its memory pressure, by the file's size
                // (still in place: a file moves to the done folder only once acknowledged).
                if (result != IntPtr.Zero) owner.HoldsOutside(Kohi.HeldFor(Kohi.FileSize(delivered.Path)));
                return delivered;
            }
        }

        /// <summary>How long one wait of <see cref="NextAsync"/> lasts at most: the cancellation
        /// token is looked at between waits, so it takes effect within this time.</summary>
        private const uint AsyncWaitMs = 200;

        /// <summary><see cref="Next"/> on a thread-pool thread, for <c>await</c> (a UI thread stays
        /// free): the next delivered file within <paramref name="timeoutMs"/>, or null. The
        /// <paramref name="cancellationToken"/> is looked at between waits of at most 200 ms, never
        /// inside one: an event a wait took is always returned, never dropped, and a cancelled
        /// call ends as a cancelled task (<c>OperationCanceledException</c>) with no event taken.
        /// One call at a time, as for <see cref="Next"/>.</summary>
        public Task<WatchEvent> NextAsync(uint timeoutMs, CancellationToken cancellationToken = default(CancellationToken))
        {
            return Task.Run(() =>
            {
                var clock = Stopwatch.StartNew();
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    long left = timeoutMs - clock.ElapsedMilliseconds;
                    uint wait = (uint)Math.Max(0L, Math.Min(AsyncWaitMs, left));
                    WatchEvent delivered = Next(wait);
                    if (delivered != null || left <= AsyncWaitMs) return delivered;
                }
            }, cancellationToken);
        }

        /// <summary>How many files were seen and are not delivered yet (settling, or not parsing
        /// and waiting for giveUpAfterMs). A null from <see cref="Next"/> does not mean the folder
        /// is drained: a loop that stops when idle stops when this is 0 too.</summary>
        public int Waiting
        {
            get
            {
                using (var w = Use())
                {
                    uint status = NativeMethods.kohi_watcher_waiting(w.Ptr, out UIntPtr count);
                    if (status != 0) throw KohiException.From(status, IntPtr.Zero);
                    return (int)count.ToUInt64();
                }
            }
        }

        /// <summary>Where a corrupt ledger was moved before it was rebuilt (every file still in
        /// the folders is then delivered again), or null.</summary>
        public string RecoveredStore
        {
            get
            {
                using (var w = Use())
                {
                    uint status = NativeMethods.kohi_watcher_recovered_store(w.Ptr, out KohiStr path);
                    if (status != 0) throw KohiException.From(status, IntPtr.Zero);
                    return Text.Utf8(path);
                }
            }
        }

        /// <summary>Marks an event done, durably, before returning.</summary>
        public void Ack(WatchEvent e)
        {
            if (e == null) throw new ArgumentNullException(nameof(e));
            using (var w = Use())
            using (var ev = new Hold(e.Handle, null, nameof(WatchEvent)))
            {
                uint status = NativeMethods.kohi_watcher_ack(w.Ptr, ev.Ptr, out IntPtr error);
                if (status != 0) throw KohiException.From(status, error);
            }
        }

        /// <summary>Pairs a future result carrying this ArbitraryFileIdentifier with its request
        /// file (<c>WatchEvent.Request</c>), in this run and after a restart: in the ledger when
        /// this returns (the last 4,096 are kept). Throws <c>state_store</c> if the ledger cannot
        /// be written (nothing registered: call again).</summary>
        public void Expect(string arbitraryFileIdentifier, string request)
        {
            using (var w = Use())
            {
                uint status = NativeMethods.kohi_watcher_expect(w.Ptr, Text.CString(arbitraryFileIdentifier), Text.CString(request), out IntPtr error);
                if (status != 0) throw KohiException.From(status, error);
            }
        }

        /// <summary>Closes the watcher; events not acknowledged come again from the next one. Any
        /// thread may call it: a <see cref="Next"/> waiting in another thread is woken first (kohi's
        /// cancel), and the watcher is freed once no call on it is running.</summary>
        public void Dispose()
        {
            if (System.Threading.Interlocked.Exchange(ref disposing, 1) == 1) return;
            using (var w = Use()) NativeMethods.kohi_watcher_cancel(w.Ptr);
            handle.Dispose();
        }
    }
}
