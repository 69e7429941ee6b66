// The .NET binding against the golden contract and its own promises, under mono:
//   mono Tests.exe fixtures
// Prints one line per failure and "N passed, N failed" at the end; exit 1 on any failure.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using KohiNet;
using KohiNet.Native;

static class Tests
{
    static int passed, failed;

    static void Check(bool ok, string what)
    {
        if (ok) passed++;
        else { failed++; Console.WriteLine("FAIL " + what); }
    }

    /// Whitespace outside strings removed: a golden is pretty-printed in the contract's key order.
    static string Minify(string json)
    {
        var o = new StringBuilder();
        bool inString = false, escaped = false;
        foreach (char c in json)
        {
            if (inString)
            {
                o.Append(c);
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
            }
            else if (c == '"') { inString = true; o.Append(c); }
            else if (!char.IsWhiteSpace(c)) o.Append(c);
        }
        return o.ToString();
    }

    static string Field(string json, string name) =>
        Regex.Match(json, "\"" + name + "\"\\s*:\\s*(\"((?:[^\"\\\\]|\\\\.)*)\"|(\\d+))") is Match m && m.Success
            ? (m.Groups[2].Success ? m.Groups[2].Value : m.Groups[3].Value)
            : null;

    static void Goldens(string fixtures)
    {
        var cases = Directory.GetFiles(fixtures, "*.xml").OrderBy(p => p, StringComparer.Ordinal).ToArray();
        Check(cases.Length >= 20, "there are fixtures");
        foreach (string xml in cases)
        {
            string golden = File.ReadAllText(Path.ChangeExtension(xml, null) + ".expected.json", Encoding.UTF8);
            string name = Path.GetFileName(xml);
            if (golden.Contains("\"error\""))
            {
                try
                {
                    using (Kohi.Parse(File.ReadAllBytes(xml))) { }
                    Check(false, name + ": should fail");
                }
                catch (KohiException e)
                {
                    Check(e.Code == Field(golden, "code"), name + ": code " + e.Code);
                    Check(e.Number.ToString() == Field(golden, "number"), name + ": number " + e.Number);
                    Check(e.Message == Field(golden, "message"), name + ": message " + e.Message);
                }
            }
            else
            {
                using (var result = Kohi.Parse(File.ReadAllBytes(xml)))
                    Check(result.ToJson() == Minify(golden), name + ": JSON equals the golden");
                using (var result = Kohi.ParseFile(xml))
                {
                    Check(result.ToJson() == Minify(golden), name + ": the same through ParseFile");
                    var patients = Enumerable.Range(0, result.PatientCount).Select(result.PatientToJson);
                    Check(Minify(golden).Contains("\"patients\":[" + string.Join(",", patients) + "]"), name + ": each patient's JSON is its part");
                    try { result.PatientToJson(result.PatientCount); Check(false, name + ": past the patients should throw"); }
                    catch (KohiException e) { Check(e.Code == "out_of_range", name + ": past the patients: out_of_range"); }
                }
            }
        }
    }

    static void Api(string fixtures)
    {
        string face = Path.Combine(fixtures, "face_pmh_two.xml");
        using (var result = Kohi.ParseFile(face))
        {
            var kohi = result.Kohi(0);
            Check(kohi.Count == 2, "two 公費");
            Check(kohi[0].Slot == 1 && kohi[0].LawNumber == "52" && kohi[0].PayerNumber == "52136017", "第1公費");
            Check(kohi[0].RecipientNumber == "1234566" && kohi[0].ValidFrom == "2025-04-01", "its numbers and validity");
            Check(kohi[1].Slot == 2 && kohi[1].Scope == "local" && kohi[1].RecipientNumber == "K000012345", "第2公費");
            // Every field the C ABI gives: the cap, the check digits' verdicts (none for a local
            // 受給者番号: KohiTristate.Null), the payer number's parts.
            Check(kohi[0].MaxCopayment == "5000" && kohi[1].MaxCopayment == null, "the cap");
            Check(kohi[0].PayerNumberValid == true && kohi[0].RecipientNumberValid == true, "check digits hold");
            Check(kohi[1].PayerNumberValid == true && kohi[1].RecipientNumberValid == null, "no verdict on a local 受給者番号");
            Check(kohi[0].AlwaysReimbursement == false, "not reimbursement only");
            Check(kohi[0].PrefectureNumber == "13" && kohi[0].AgencyNumber == "601" && kohi[1].AgencyNumber == "101", "the payer number's parts");
            Check((int)KohiTristate.Null == -1, "KohiTristate.Null is the C ABI's -1");
            Check(result.Header(KohiHeaderField.Encoding) == "UTF-8", "header");
            Check(result.QualificationCount(0) == 1 && result.Qualification(0, 0, KohiQualificationField.Name) == "見本　花子", "qualification name");
            Check(result.Patient(0, KohiPatientField.Pmh) == "received", "patient PMH state");
        }
        // CP932 strings on request: the name's bytes as a Japanese Windows program expects them.
        using (var result = Kohi.ParseFile(face, new ParseOptions { Cp932Strings = true }))
        {
            byte[] name = result.GetQualificationBytes(0, 0, KohiQualificationField.Name);
            byte[] want = { 0x8C, 0xA9, 0x96, 0x7B, 0x81, 0x40, 0x89, 0xD4, 0x8E, 0x71 }; // 見本　花子
            Check(name != null && name.SequenceEqual(want), "CP932 name");
        }
        // Disposal twice is harmless; a disposed result refuses use.
        var twice = Kohi.ParseFile(face);
        twice.Dispose();
        twice.Dispose();
        try { twice.ToJson(); Check(false, "use after dispose"); }
        catch (ObjectDisposedException) { Check(true, "use after dispose refused"); }
        // Left to the finalizer: every result freed (kohi's count of live results goes back).
        int before = KohiResult.LiveResults;
        Abandon(face);
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        // (mono scans stacks conservatively: one or two may stay reachable a while longer.)
        int left = KohiResult.LiveResults - before;
        Check(left >= 0 && left <= 2, "finalizers freed the abandoned results: " + left + " of 200 left");
        // Errors say what kind, and never what the document held.
        try { Kohi.Parse(Encoding.UTF8.GetBytes("<XmlMsg><見本太郎>")); Check(false, "should fail"); }
        catch (KohiException e) { Check(e.Code == "malformed_xml" && e.Number == 5 && !e.Message.Contains("見本"), "typed error"); }
        try { Kohi.ParseFile(Path.Combine(fixtures, "no_such_file.xml")); Check(false, "should fail"); }
        catch (KohiException e) { Check(e.Code == "io", "missing file is io"); }
        try { Kohi.Parse(new byte[0], new ParseOptions { LayoutJson = "{\"place\": {\"Name\": \"Nowhere\"}}" }); Check(false, "should fail"); }
        catch (KohiException e) { Check(e.Code == "invalid_layout" && e.Message.Contains("place.Name"), "bad layout"); }
        Check(Kohi.CheckNumber(KohiNumberKind.Payer, "52136017"), "check digit ok");
        Check(!Kohi.CheckNumber(KohiNumberKind.Payer, "52136018"), "check digit wrong");
        Check(Kohi.Version.Length > 0, "version");
        // Before the first call, the process and the library are checked (a 32-bit process, or a
        // kohi.dll of another ABI version, gets the reason instead of a crash or a wrong call).
        Check(LibraryCheck.Problem(8, Kohi.Version) == null, "this library passes its own check");
        Check(LibraryCheck.Problem(8, NativeMethods.DeclaredVersion.Substring(0, NativeMethods.DeclaredVersion.LastIndexOf('.')) + ".99") == null,
            "another patch release is the same ABI");
        Check((LibraryCheck.Problem(4, null) ?? "").Contains("64-bit only"), "a 32-bit process is refused");
        Check((LibraryCheck.Problem(8, "0.999.0") ?? "").Contains("is version 0.999.0"), "another minor before 1.0 is another ABI");
        Check(LibraryCheck.Problem(8, "7.0.0") != null && LibraryCheck.Problem(8, "garbage") != null, "another major, or no version");
        Check(typeof(Kohi).Assembly.GetName().Version.ToString(3) == Kohi.Version,
            "KohiNet's assembly version is the library's: " + typeof(Kohi).Assembly.GetName().Version);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    /// <summary>The numbers as written beside the normalised ones, and a 医療扶助 entry's fields.</summary>
    static void KohiFields(string fixtures)
    {
        using (var result = Kohi.ParseFile(Path.Combine(fixtures, "fullwidth_padded_numbers.xml")))
        {
            var kohi = result.Kohi(0);
            Check(kohi[0].PayerNumber == "54136015" && kohi[0].PayerNumberRaw == "５４１３６０１５", "payer number and as written");
            Check(kohi[1].RecipientNumber == "0012345" && kohi[1].RecipientNumberRaw == "  ００１２３４５", "recipient number and as written");
            Check(kohi[0].AlwaysReimbursement == null && kohi[0].MaxCopayment == null, "not sent: null");
        }
        using (var result = Kohi.ParseFile(Path.Combine(fixtures, "medical_aid_a1.xml")))
        {
            var aid = result.Kohi(0)[0];
            Check(aid.Source == "medical_aid" && aid.PayerNumber == "12136016" && aid.RecipientNumberValid == true, "医療扶助");
            Check(aid.WelfareOfficeName == "新宿区福祉事務所", "福祉事務所名");
        }
    }

    /// <summary>Warnings and unknown elements, as ToJson() has them.</summary>
    static void WarningsAndUnknowns(string fixtures)
    {
        using (var result = Kohi.ParseFile(Path.Combine(fixtures, "pmh_overflow.xml")))
        {
            var warnings = result.Warnings;
            Check(warnings.Count == 1 && warnings[0].Code == "slot_overflow" && warnings[0].Path.StartsWith("XmlMsg/MessageBody/"), "a fifth 公費 is a warning");
            Check(result.UnknownElements.Count == 0, "no unknown element");
        }
        using (var result = Kohi.ParseFile(Path.Combine(fixtures, "unknown_element_and_code.xml")))
        {
            var codes = result.Warnings.Select(w => w.Code).ToList();
            Check(codes.Count == 9 && codes[0] == "unknown_element" && codes.Contains("invalid_date"), "warnings in document order: " + string.Join(",", codes));
            var unknown = result.UnknownElements;
            Check(unknown.Count == 5 && unknown.All(u => u.Path.StartsWith("XmlMsg/")), "unknown elements kept: " + unknown.Count);
            Check(unknown.Any(u => u.Text != null), "with their text");
            foreach (var u in unknown)
                Check(result.ToJson().Contains("\"path\":\"" + u.Path + "\""), "unknown element as in the JSON: " + u.Path);
        }
    }

    /// <summary>A zip of one stored entry (no compression), as a terminal's bulk download is.</summary>
    static byte[] StoredZip(string name, byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        crc = ~crc;
        byte[] n = Encoding.UTF8.GetBytes(name);
        var ms = new MemoryStream();
        var w = new BinaryWriter(ms);
        w.Write(0x04034b50u); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0x21);
        w.Write(crc); w.Write((uint)data.Length); w.Write((uint)data.Length); w.Write((ushort)n.Length); w.Write((ushort)0); w.Write(n); w.Write(data);
        long directory = ms.Position;
        w.Write(0x02014b50u); w.Write((ushort)20); w.Write((ushort)20); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0x21);
        w.Write(crc); w.Write((uint)data.Length); w.Write((uint)data.Length); w.Write((ushort)n.Length);
        w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)0); w.Write(0u); w.Write(0u); w.Write(n);
        long end = ms.Position;
        w.Write(0x06054b50u); w.Write((ushort)0); w.Write((ushort)0); w.Write((ushort)1); w.Write((ushort)1);
        w.Write((uint)(end - directory)); w.Write((uint)directory); w.Write((ushort)0);
        w.Flush();
        return ms.ToArray();
    }

    /// <summary>The inbox's other kinds: a refused request's .err text, a bulk archive's entries.</summary>
    static void InboxKinds(string fixtures)
    {
        string root = Path.Combine(Path.GetTempPath(), "kohi-dotnet-kinds-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "res"));
        File.WriteAllText(Path.Combine(root, "res", "OQSsiquc01res_refused.err"), "要求ファイルの形式に誤りがあります\n", new UTF8Encoding(false));
        byte[] bulk = File.ReadAllBytes(Path.Combine(fixtures, "bulk_three_units.xml"));
        File.WriteAllBytes(Path.Combine(root, "res", "OQSmuquc02res_bulk.zip"), StoredZip("OQSmuquc02res_bulk.xml", bulk));
        using (var watcher = new Watcher(root, null, 50, 500))
        {
            Check(watcher.RecoveredStore == null, "no ledger was recovered");
            var seen = new List<WatchEvent>();
            for (int i = 0; i < 50 && seen.Count < 2; i++)
            {
                var e = watcher.Next(200);
                if (e != null) seen.Add(e);
            }
            var rejected = seen.FirstOrDefault(e => e.Kind == KohiWatchKind.Rejected);
            var archive = seen.FirstOrDefault(e => e.Kind == KohiWatchKind.BulkArchive);
            Check(rejected != null && rejected.Message == "要求ファイルの形式に誤りがあります" && rejected.Entries.Count == 0, "a refused request with its reason");
            Check(archive != null && archive.Message == null && archive.Result == null, "a bulk archive");
            Check(archive != null && archive.Entries.Count == 1 && archive.Entries[0].Name == "OQSmuquc02res_bulk.xml" && archive.Entries[0].Error == null,
                "its entry, parsed");
            Check(archive != null && archive.Entries[0].Result.PatientCount == 3, "the entry's three patients");
            foreach (var e in seen)
                using (e) watcher.Ack(e);
        }
        Directory.Delete(root, true);
    }

    /// <summary>The watcher's own options: a done folder, a ledger elsewhere.</summary>
    static void WatcherOptions(string fixtures)
    {
        string root = Path.Combine(Path.GetTempPath(), "kohi-dotnet-done-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "face"));
        string file = Path.Combine(root, "face", "OQSsiquc01res_face_1.xml");
        File.Copy(Path.Combine(fixtures, "face_pmh_two.xml"), file);
        try { new Watcher(root, new ParseOptions { DoneDir = root }).Dispose(); Check(false, "done: the root should be refused"); }
        catch (KohiException e) { Check(e.Code == "invalid_setting" && e.Message.Contains("done_dir"), "done: the root is refused"); }
        var options = new ParseOptions { DoneDir = root + "-done", StateFile = root + "-ledger.sqlite" };
        using (var watcher = new Watcher(root, options, 50, 500))
        {
            WatchEvent e = null;
            for (int i = 0; i < 50 && e == null; i++) e = watcher.Next(200);
            using (e)
            {
                Check(e != null && File.Exists(file), "done: delivered, still in place");
                if (e != null) watcher.Ack(e);
            }
        }
        Check(!File.Exists(file) && File.Exists(Path.Combine(root + "-done", "face", "OQSsiquc01res_face_1.xml")), "done: moved once acknowledged");
        Check(File.Exists(root + "-ledger.sqlite") && !File.Exists(Path.Combine(root, ".kohi-inbox.sqlite")), "state: the ledger where asked");
        Directory.Delete(root, true);
        Directory.Delete(root + "-done", true);
        foreach (var ledger in Directory.GetFiles(Path.GetDirectoryName(root), Path.GetFileName(root) + "-ledger.sqlite*")) File.Delete(ledger);
    }

    /// <summary>The request writer: a query into req/ in Shift_JIS, read back; a missing field named.</summary>
    static void Requests()
    {
        string req = Path.Combine(Path.GetTempPath(), "kohi-dotnet-req-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(req);
        var request = new QualificationRequest
        {
            MedicalInstitutionCode = "1312345678",
            QualificationConfirmationDate = new DateTime(2025, 6, 4),
            InsurerNumber = "138057",
            InsuredCardSymbol = "練馬",
            InsuredIdentificationNumber = "40123",
            Birthdate = new DateTime(1953, 3, 11),
            LimitApplicationConsent = true,
            ArbitraryFileIdentifier = "RC-0007",
        };
        string path = Kohi.WriteRequest(req, request, "N1");
        Check(path == Path.Combine(req, "OQSsiquc01req_N1.xml"), "request: its path");
        using (var r = Kohi.ParseFile(path))
        {
            Check(r.Header(KohiHeaderField.Encoding) == "Shift_JIS" && r.Header(KohiHeaderField.ArbitraryFileIdentifier) == "RC-0007", "request: Shift_JIS, paired");
            Check(r.Header(KohiHeaderField.QualificationConfirmationDate) == "2025-06-04" && r.ToJson().Contains("\"raw\":\"練馬\""), "request: read back");
        }
        try { Kohi.WriteRequest(req, request, "N1"); Check(false, "request: same name should fail"); }
        catch (KohiException e) { Check(e.Code == "io", "request: the same name is refused"); }
        request.Birthdate = null;
        try { Kohi.WriteRequest(req, request); Check(false, "request: should fail"); }
        catch (KohiException e) { Check(e.Code == "invalid_request" && e.Number == 11 && e.Message.Contains("birthdate"), "request: a missing field is named"); }
        Check(Directory.GetFiles(req).Length == 1, "request: nothing else written");
        // Off the calling thread: the fields are read at the call (a change after it is not written).
        request.Birthdate = new DateTime(1953, 3, 11);
        var writing = Kohi.WriteRequestAsync(req, request, "N2");
        request.Birthdate = null;
        string written = writing.Result;
        Check(written == Path.Combine(req, "OQSsiquc01req_N2.xml") && File.ReadAllText(written).Contains("19530311"), "request: written off the calling thread");
        var refused = Kohi.WriteRequestAsync(req, request, "N3");
        try { refused.Wait(); Check(false, "request: async should fail"); }
        catch (AggregateException e) { Check(e.InnerException is KohiException k && k.Code == "invalid_request", "request: an async failure is the KohiException"); }
        try { Kohi.WriteRequestAsync(null, request); Check(false, "request: null folder should throw"); }
        catch (ArgumentNullException) { Check(true, "request: a null folder throws at the call"); }
        Directory.Delete(req, true);
    }

    /// <summary>ParseFileAsync: off the calling thread; cancelled before or during the parse, no result is left.</summary>
    static void ParseAsync(string fixtures)
    {
        // Results an earlier test left to the finalizer go first (mono scans stacks conservatively,
        // so one may be finalized later still: the count is held to at most what it was).
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        int before = KohiResult.LiveResults;
        using (var r = Kohi.ParseFileAsync(Path.Combine(fixtures, "face_pmh_two.xml")).Result)
            Check(r.Kohi(0).Count == 2, "async: the 公費");
        var failed = Kohi.ParseFileAsync(Path.Combine(fixtures, "no_such_file.xml"));
        try { failed.Wait(); Check(false, "async: a missing file should fail"); }
        catch (AggregateException e) { Check(e.InnerException is KohiException k && k.Code == "io", "async: a missing file is io"); }
        var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var cancelled = Kohi.ParseFileAsync(Path.Combine(fixtures, "face_pmh_two.xml"), null, cancel.Token);
        try { cancelled.Wait(); Check(false, "async: cancelled should not complete"); }
        catch (AggregateException) { Check(cancelled.IsCanceled, "async: cancelled before it ran"); }
        // Cancelled while many parses run: each ends with its result (disposed here) or cancelled, none left over.
        var during = new CancellationTokenSource();
        var tasks = new List<Task<KohiResult>>();
        for (int i = 0; i < 64; i++) tasks.Add(Kohi.ParseFileAsync(Path.Combine(fixtures, "bulk_three_units.xml"), null, during.Token));
        during.Cancel();
        foreach (var t in tasks)
        {
            try { t.Result.Dispose(); }
            catch (AggregateException) { Check(t.IsCanceled, "async: cancelled, not faulted"); }
        }
        Check(KohiResult.LiveResults <= before, "async: no result left over: " + (KohiResult.LiveResults - before));
        try { Kohi.ParseFileAsync(null); Check(false, "async: null should throw"); }
        catch (ArgumentNullException) { Check(true, "async: a null path throws at the call"); }
    }

    static void Abandon(string face)
    {
        for (int i = 0; i < 200; i++) Kohi.ParseFile(face);
    }

    static void StreamReconcileWatch(string fixtures)
    {
        // A bulk file streamed: one result per patient, the same patients as the whole parse.
        int streamed = 0;
        foreach (var patient in Kohi.Stream(Path.Combine(fixtures, "bulk_three_units.xml")))
            using (patient) { streamed += patient.PatientCount; }
        Check(streamed == 3, "three streamed patients");
        // A stream is read once: its file is let go when the first enumeration ends.
        var once = Kohi.Stream(Path.Combine(fixtures, "bulk_three_units.xml"));
        foreach (var patient in once) patient.Dispose();
        try { foreach (var patient in once) patient.Dispose(); Check(false, "a second enumeration should throw"); }
        catch (ObjectDisposedException) { Check(true, "a stream is read once"); }
        // The remainder: the answer to a failed request has no patient; its header is the rest of
        // the file, and its JSON is the whole parse's. A bulk file's status is there too.
        using (var failed = Kohi.OpenStream(Path.Combine(fixtures, "header_error.xml")))
        {
            Check(failed.Remainder == null, "no remainder before the end");
            int none = 0;
            foreach (var patient in failed) using (patient) none++;
            Check(none == 0 && failed.Remainder != null, "a failed request: no patient, a remainder");
            Check(failed.Remainder.Header(KohiHeaderField.ErrorCode) == "PLACEHOLDER-CODE", "the error code");
            using (var whole = Kohi.ParseFile(Path.Combine(fixtures, "header_error.xml")))
                Check(failed.Remainder.ToJson() == whole.ToJson(), "the remainder is the whole parse's JSON");
        }
        using (var bulkStream = Kohi.OpenStream(Path.Combine(fixtures, "bulk_three_units.xml")))
        {
            int units = 0;
            foreach (var patient in bulkStream) using (patient) units++;
            Check(units == 3 && bulkStream.Remainder.PatientCount == 0, "three units, then the rest");
            Check(bulkStream.Remainder.ToJson().Contains("\"reception_number\":\"R202511160001\""), "the bulk status");
            Check(bulkStream.Remainder.Header(KohiHeaderField.BulkReceptionNumber) == "R202511160001"
                && bulkStream.Remainder.Header(KohiHeaderField.BulkProcessingResultStatus) == "1", "the bulk status's getters");
            try { foreach (var patient in bulkStream) patient.Dispose(); Check(false, "a second enumeration should throw"); }
            catch (ObjectDisposedException) { Check(true, "a KohiStream is read once"); }
        }
        using (var truncated = Kohi.OpenStream(Path.Combine(fixtures, "error_truncated.xml")))
        {
            Check(ErrorOf(() => { foreach (var patient in truncated) patient.Dispose(); }) == "malformed_xml", "a truncated stream");
            Check(truncated.Remainder == null, "no remainder after an error");
        }
        // Reconcile: a stored 公費 still reported is unchanged; absence never ends one.
        using (var result = Kohi.ParseFile(Path.Combine(fixtures, "face_pmh_two.xml")))
        {
            string stored = "[{\"payer_number\":\"52136017\",\"recipient_number\":\"1234566\",\"valid_from\":\"2025-04-01\",\"valid_to\":\"2026-03-31\"}]";
            string changes = result.Reconcile(stored, 0, "2025-06-04");
            Check(changes.Contains("\"unchanged\"") || changes.Contains("\"changed\""), "reconcile: " + changes.Substring(0, Math.Min(60, changes.Length)));
        }
        // The inbox: delivered, acknowledged, not delivered again.
        string root = Path.Combine(Path.GetTempPath(), "kohi-dotnet-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "face"));
        File.Copy(Path.Combine(fixtures, "face_pmh_two.xml"), Path.Combine(root, "face", "OQSsiquc01res_face_a_1.xml"));
        string request = Path.Combine(root, "req", "custom-request.xml");
        // Registered in one run, paired in the next (the registration is in the ledger).
        using (var first = new Watcher(root, null, 50, 500))
            first.Expect("Qm9ndXNJZGVudGlmaWVy", request);
        using (var watcher = new Watcher(root, null, 50, 500))
        {
            WatchEvent e = null;
            for (int i = 0; i < 50 && e == null; i++) e = watcher.Next(200);
            Check(e != null && e.Kind == KohiWatchKind.Face && e.Id.Length == 81, "a face event");
            Check(e != null && e.Request == request, "paired by the ArbitraryFileIdentifier registered before the restart");
            using (e)
            {
                Check(e != null && e.Result != null && e.Result.Kohi(0).Count == 2 && e.Error == null, "parsed, with its 公費");
                if (e != null) watcher.Ack(e);
            }
        }
        using (var again = new Watcher(root, null, 50, 500))
        {
            Check(again.Next(700) == null && again.Waiting == 0, "acknowledged: not delivered again, nothing waiting");
            // A file that does not parse waits for giveUpAfterMs: Next gives null, Waiting says 1.
            File.WriteAllText(Path.Combine(root, "face", "OQSsiquc01res_face_unparsed.xml"), "<XmlMsg><MessageBody>");
            Check(again.Next(200) == null && again.Waiting == 1, "not yet delivered, but waiting");
            WatchEvent e = null;
            for (int i = 0; i < 50 && e == null; i++) e = again.Next(200);
            using (e)
            {
                Check(e != null && e.Error != null && e.Error.Code == "malformed_xml", "delivered with its error");
                if (e != null) again.Ack(e);
            }
            Check(again.Waiting == 0, "drained");

            // NextAsync: a cancelled wait ends soon, as a cancelled task, and takes no event...
            var cancel = new CancellationTokenSource();
            var waiting = again.NextAsync(60000, cancel.Token);
            Thread.Sleep(300);
            var cancelledAt = System.Diagnostics.Stopwatch.StartNew();
            cancel.Cancel();
            bool cancelled = false;
            try { waiting.Wait(5000); }
            catch (AggregateException ae) { cancelled = ae.InnerException is OperationCanceledException; }
            Check(cancelled && waiting.IsCanceled && cancelledAt.ElapsedMilliseconds < 2000, "NextAsync: cancelled within a wait");
            Check(again.NextAsync(0).Result == null, "NextAsync: null when nothing comes in time");
            // ... so the file written next is the next call's, delivered.
            File.Copy(Path.Combine(fixtures, "face_pmh_two.xml"), Path.Combine(root, "face", "OQSsiquc01res_face_async.xml"));
            using (WatchEvent later = again.NextAsync(10000).Result)
            {
                Check(later != null && later.Path.EndsWith("OQSsiquc01res_face_async.xml") && later.Result != null, "NextAsync: delivered after a cancelled wait");
                if (later != null) again.Ack(later);
            }
        }
        Directory.Delete(root, true);
    }

    /// The error code of what `run` throws, or null when it throws nothing.
    static string ErrorOf(Action run)
    {
        try { run(); return null; }
        catch (KohiException e) { return e.Code; }
    }

    static void Options(string fixtures)
    {
        byte[] face = File.ReadAllBytes(Path.Combine(fixtures, "face_pmh_two.xml"));
        // The size limit, both ways: a bulk file past the default needs it raised.
        Check(ErrorOf(() => Kohi.Parse(face, new ParseOptions { MaxInputBytes = 1000 }).Dispose()) == "input_too_large", "MaxInputBytes below the file");
        using (var result = Kohi.Parse(face, new ParseOptions { MaxInputBytes = 1UL << 32 }))
            Check(result.Kohi(0).Count == 2, "MaxInputBytes above the file");
        // Shape limits by name; a stream applies them per patient.
        string bulk = Path.Combine(fixtures, "bulk_three_units.xml");
        var onePatient = new ParseOptions();
        onePatient.Limits[KohiLimit.Patients] = 1;
        Check(ErrorOf(() => Kohi.ParseFile(bulk, onePatient).Dispose()) == "limit_exceeded", "Limits: patients");
        int streamed = 0;
        foreach (var patient in Kohi.Stream(bulk, onePatient))
            using (patient) streamed++;
        Check(streamed == 3, "Limits apply per patient in a stream");
        Check(ErrorOf(() => { var bad = new ParseOptions(); bad.Limits[(KohiLimit)99] = 1; Kohi.Parse(face, bad).Dispose(); }) == "invalid_argument", "an unknown limit");
        // Aliases: a renamed element read under its canonical name.
        byte[] renamed = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(face).Replace("MedicalSubsidyInsurerNumber", "PayerNo"));
        using (var result = Kohi.Parse(renamed))
            Check(result.Kohi(0)[0].PayerNumber == null, "without aliases the renamed number is not read");
        using (var result = Kohi.Parse(renamed, new ParseOptions { AliasesJson = "{\"MedicalSubsidyInsurerNumber\": [\"PayerNo\"]}" }))
            Check(result.Kohi(0)[0].PayerNumber == "52136017", "AliasesJson");
        Check(ErrorOf(() => Kohi.Parse(renamed, new ParseOptions { AliasesJson = "{\"NoSuchElement\": [\"X\"]}" }).Dispose()) == "invalid_alias_table", "bad aliases");
        // Pairing rules for the watcher: a PMH document and its result, paired or not.
        Check(ErrorOf(() => new Watcher(Path.GetTempPath(), new ParseOptions { PairBy = "by_guess" }).Dispose()) == "invalid_setting", "an unknown pairing rule");
        const string layout = "{\"file_prefixes\": [\"PMHsimsm\"], \"roots\": [\"PmhMsg\"]}";
        foreach (string rules in new[] { null, "none" })
        {
            string root = Path.Combine(Path.GetTempPath(), "kohi-dotnet-pair-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(root, "res"));
            File.Copy(Path.Combine(fixtures, "insured_card_utf8.xml"), Path.Combine(root, "res", "OQSsiquc01res_0043.xml"));
            File.Copy(Path.Combine(fixtures, "pmh_document.xml"), Path.Combine(root, "res", "PMHsimsm01res_0043.xml"));
            int events = 0, paired = 0;
            using (var watcher = new Watcher(root, new ParseOptions { LayoutJson = layout, PairBy = rules }, 50, 500))
            {
                for (int i = 0; i < 50 && events < 2; i++)
                {
                    var e = watcher.Next(200);
                    if (e == null) continue;
                    using (e)
                    {
                        events++;
                        if (e.Related != null) paired++;
                        watcher.Ack(e);
                    }
                }
            }
            Check(events == 2 && paired == (rules == null ? 1 : 0), "PairBy " + (rules ?? "default") + ": " + events + " events, " + paired + " paired");
            Directory.Delete(root, true);
        }
    }

    /// <summary>The JSON object under <paramref name="key"/> (braces counted outside strings).</summary>
    static string ObjectAt(string json, string key)
    {
        int at = json.IndexOf("\"" + key + "\":{", StringComparison.Ordinal);
        if (at < 0) return null;
        int start = json.IndexOf('{', at), depth = 0;
        bool inString = false, escaped = false;
        for (int i = start; i < json.Length; i++)
        {
            char c = json[i];
            if (inString) { if (escaped) escaped = false; else if (c == '\\') escaped = true; else if (c == '"') inString = false; }
            else if (c == '"') inString = true;
            else if (c == '{') depth++;
            else if (c == '}' && --depth == 0) return json.Substring(start, i - start + 1);
        }
        return null;
    }

    /// <summary>The survey learns a layout from a file whose PMH data kohi does not know (two
    /// kinds of certificate under names of their own), and that layout reads both 公費.</summary>
    static void Survey(string fixtures)
    {
        string file = Path.Combine(fixtures, "pmh_two_kinds.xml");
        using (var before = Kohi.ParseFile(file))
            Check(before.Kohi(0).Count == 0, "survey: the built-in layout reads no 公費");
        string report = Kohi.SurveyFiles(new[] { file, Path.Combine(fixtures, "no_such_file.xml") });
        Check(report.Contains("\"failed\":{\"io\":1}"), "survey: the missing file counted by its code");
        Check(!report.Contains("52136017") && !report.Contains("見本"), "survey: no value from the file");
        string layout = ObjectAt(report, "layout");
        Check(layout != null && layout.Contains("ChihoIryosho"), "survey: a layout with both kinds");
        using (var after = Kohi.ParseFile(file, new ParseOptions { LayoutJson = layout }))
        {
            var kohi = after.Kohi(0);
            Check(kohi.Count == 2 && kohi[0].PayerNumber == "52136017" && kohi[1].PayerNumber == "88131016",
                "survey: its layout reads both 公費");
        }
        try { Kohi.SurveyFiles(new string[] { null }); Check(false, "survey: a null path should fail"); }
        catch (ArgumentNullException) { Check(true, "survey: a null path refused"); }
    }

    /// What .NET code may do with KohiNet's objects without crashing the process or leaking:
    /// dispose from one thread while another waits in a call, forget to dispose, read a
    /// borrowed result after its owner is gone.
    static void Lifetimes(string fixtures)
    {
        string root = Path.Combine(Path.GetTempPath(), "kohi-dotnet-life-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(root, "face"));
        // A service stopping: Dispose on one thread while another waits in Next. The waiter is woken
        // and gets ObjectDisposedException; the watcher is freed once Next has returned (freed
        // under it, the process died of heap corruption), so the folder can be opened again.
        var watcher = new Watcher(root, null, 50, 500);
        Exception thrown = null;
        bool returned = false;
        var waiter = new Thread(() =>
        {
            try { watcher.Next(60000); returned = true; }
            catch (Exception e) { thrown = e; }
        });
        waiter.Start();
        Thread.Sleep(300);
        watcher.Dispose();
        Check(waiter.Join(30000), "Dispose woke the thread waiting in Next");
        Check(!returned && thrown is ObjectDisposedException,
            "a Next interrupted by Dispose throws ObjectDisposedException: " + (thrown == null ? "returned" : thrown.GetType().Name));
        try { watcher.Next(0); Check(false, "Next after Dispose"); }
        catch (ObjectDisposedException) { Check(true, "Next after Dispose refused"); }
        watcher.Dispose();
        // A result disposed on one thread while others read it: each read either completes with
        // the right values or throws ObjectDisposedException; none reads freed memory (another
        // thread parses other files meanwhile, so freed memory soon holds other values).
        string faceFile = Path.Combine(fixtures, "face_pmh_two.xml");
        byte[] other = File.ReadAllBytes(Path.Combine(fixtures, "pmh_three_out_of_order.xml"));
        int good = 0, refused = 0, wrong = 0;
        for (int round = 0; round < 20; round++)
        {
            var shared = Kohi.ParseFile(faceFile);
            bool disposed = false;
            var readers = Enumerable.Range(0, 3).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < 2000; i++)
                {
                    try
                    {
                        var k = shared.Kohi(0);
                        if (k.Count == 2 && k[0].PayerNumber == "52136017" && k[1].RecipientNumber == "K000012345") Interlocked.Increment(ref good);
                        else Interlocked.Increment(ref wrong);
                    }
                    catch (ObjectDisposedException) { Interlocked.Increment(ref refused); return; }
                    catch (KohiException) { Interlocked.Increment(ref wrong); return; }
                }
            })).ToList();
            var churn = new Thread(() =>
            {
                while (!Volatile.Read(ref disposed)) Thread.Yield();
                for (int i = 0; i < 200; i++) using (Kohi.Parse(other)) { }
            });
            readers.ForEach(t => t.Start());
            churn.Start();
            Thread.Sleep(round % 4);
            shared.Dispose();
            Volatile.Write(ref disposed, true);
            readers.ForEach(t => t.Join());
            churn.Join();
        }
        Check(wrong == 0 && good > 0 && refused > 0,
            "reads racing a Dispose: " + good + " whole, " + refused + " refused, " + wrong + " wrong");
        // Events and their results, left to the finalizer: freed (they were never freed before).
        for (int i = 0; i < 6; i++)
            File.Copy(Path.Combine(fixtures, "face_pmh_two.xml"), Path.Combine(root, "face", "OQSsiquc01res_face_l_" + i + ".xml"));
        int before = WatchEvent.LiveEvents;
        int taken = AbandonEvents(root, 6);
        Check(taken == 6 && WatchEvent.LiveEvents - before <= 6, "six events taken and not disposed: " + taken);
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        int left = WatchEvent.LiveEvents - before;
        Check(left >= 0 && left <= 2, "finalizers freed the abandoned events: " + left + " of 6 left");
        // The GC is told what a parsed document holds outside it (about three times the input; a
        // .NET loop that forgets to dispose collects by that, as it does for a Bitmap), and told
        // again when it is freed. (Mono's GC ignores the hint; .NET's uses it.)
        Func<long> held = () => KohiHandle.Pressure;
        // A watch event's result lives as long as the event: read after the event is disposed, it
        // is refused, not read from freed memory.
        using (var again = new Watcher(root, null, 50, 500))
        {
            WatchEvent e = null;
            for (int i = 0; i < 50 && e == null; i++) e = again.Next(200);
            Check(e != null && e.Result != null && e.Result.Kohi(0).Count == 2, "an event of a new watcher on the freed folder");
            if (e != null)
            {
                KohiResult borrowed = e.Result;
                long fileBytes = new FileInfo(e.Path).Length;
                long withEvent = held();
                e.Dispose();
                Check(withEvent - held() == 3L * fileBytes, "an event's memory pressure, removed when it is disposed: " + (withEvent - held()));
                try { borrowed.PatientCount.ToString(); Check(false, "a result read after its event was disposed"); }
                catch (ObjectDisposedException) { Check(true, "a result read after its event was disposed is refused"); }
                try { again.Ack(e); Check(false, "Ack of a disposed event"); }
                catch (ObjectDisposedException) { Check(true, "Ack of a disposed event refused"); }
            }
        }
        Directory.Delete(root, true);
        // A stream left half-read (its enumerator neither finished nor disposed) is freed by the
        // finalizer too (it was never freed before).
        Func<int> others = () => KohiHandle.Others.Count;
        int streamsBefore = others();
        int open = AbandonStreams(Path.Combine(fixtures, "bulk_three_units.xml"), 5, others);
        Check(open - streamsBefore == 5, "five streams open, half-read: " + (open - streamsBefore));
        for (int i = 0; i < 3; i++) { GC.Collect(); GC.WaitForPendingFinalizers(); }
        int streamsLeft = others() - streamsBefore;
        Check(streamsLeft >= 0 && streamsLeft <= 2, "finalizers freed the half-read streams: " + streamsLeft + " of 5 left");
        long start = held();
        byte[] bulk = File.ReadAllBytes(Path.Combine(fixtures, "bulk_three_units.xml"));
        var parsed = Kohi.Parse(bulk);
        Check(held() - start == 3L * bulk.Length, "memory pressure added for a parse: " + (held() - start));
        parsed.Dispose();
        Check(held() == start, "and removed when it is freed: " + (held() - start));
    }

    /// Opens `count` streams of `path`, reads one patient of each, and drops them undisposed;
    /// what `open` counts while they are all held.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static int AbandonStreams(string path, int count, Func<int> open)
    {
        var held = new System.Collections.Generic.List<System.Collections.Generic.IEnumerator<KohiResult>>();
        for (int i = 0; i < count; i++)
        {
            var patients = Kohi.Stream(path).GetEnumerator();
            patients.MoveNext();
            patients.Current.Dispose();
            held.Add(patients);
        }
        return open();
    }

    /// Takes `count` events from a watcher on `root`, reads each one's 公費, and drops them undisposed.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static int AbandonEvents(string root, int count)
    {
        int taken = 0;
        using (var watcher = new Watcher(root, null, 50, 500))
            for (int i = 0; i < 100 && taken < count; i++)
            {
                WatchEvent e = watcher.Next(200);
                if (e != null && e.Result != null && e.Result.Kohi(0).Count == 2) taken++;
            }
        return taken;
    }

    static int Main(string[] args)
    {
        string fixtures = args.Length > 0 ? args[0] : "fixtures";
        Goldens(fixtures);
        Api(fixtures);
        KohiFields(fixtures);
        WarningsAndUnknowns(fixtures);
        InboxKinds(fixtures);
        Requests();
        ParseAsync(fixtures);
        WatcherOptions(fixtures);
        StreamReconcileWatch(fixtures);
        Options(fixtures);
        Survey(fixtures);
        Lifetimes(fixtures);
        Console.WriteLine(passed + " passed, " + failed + " failed");
        return failed == 0 ? 0 : 1;
    }
}
