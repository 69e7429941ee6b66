{ KohiObjects.pas: kohi for Delphi and Free Pascal as objects, over the generated kohi.pas.
  Strings are UnicodeString (kohi's UTF-8 converted), errors are EKohiError with kohi's stable
  code and number, and every object frees its native handle in its destructor. Written by hand:
  kohi.pas (generated from the C header) stays the one place that declares the ABI.

    var R: TKohiResult; K: TKohiEntry;
    R := TKohiResult.CreateFromFile('res\OQSsiquc01res_0001.xml');
    try
      for K in R.Kohi(0) do Writeln(K.Slot, ' ', K.PayerNumber, ' ', K.RecipientNumber);
    finally
      R.Free;
    end;

  An absent value is '' (kohi never gives a present value that is empty); a yes/no that may
  have no answer is a TKohiVerdict. }
unit KohiObjects;

{$IFDEF FPC}{$MODE DELPHI}{$H+}{$ENDIF}

interface

uses SysUtils, kohi;

type
  { kohi's error: Code is the stable snake_case name ('malformed_xml'), Number its number
    (never reused), OsCode the OS error number of an 'io' error (0 otherwise). The message says
    where, never what: no patient data. }
  EKohiError = class(Exception)
  private
    FCode: UnicodeString;
    FNumber: Cardinal;
    FOsCode: Integer;
  public
    constructor CreateKohi(ANumber: Cardinal; const ACode, AMessage: UnicodeString; AOsCode: Integer = 0);
    property Code: UnicodeString read FCode;
    property Number: Cardinal read FNumber;
    property OsCode: Integer read FOsCode;
  end;

  { A yes/no that may have no answer (KOHI_TRISTATE_*): a check digit kohi has no rule for, or a
    flag the file did not send. }
  TKohiVerdict = (kvNone, kvNo, kvYes);

  { One 公費 as a レセコン fills it in (the JSON contract's names, in Pascal case). }
  TKohiEntry = record
    Slot: Integer;                     { 1–4 for 第1〜第4公費; 0 past the fourth or for a replaced renewal }
    Source: UnicodeString;             { 'pmh' or 'medical_aid' }
    LawNumber: UnicodeString;          { 法別番号 }
    PrefectureNumber: UnicodeString;
    AgencyNumber: UnicodeString;
    PayerNumber: UnicodeString;        { 公費負担者番号, normalised. Personal data: do not log it. }
    PayerNumberRaw: UnicodeString;     { as the file wrote it }
    PayerNumberValid: TKohiVerdict;
    RecipientNumber: UnicodeString;    { 受給者番号, normalised. Personal data: do not log it. }
    RecipientNumberRaw: UnicodeString;
    RecipientNumberValid: TKohiVerdict;{ kvNone for a 地方単独 number: its rule is the municipality's }
    Scope: UnicodeString;              { 'national' or 'local' }
    ProgramName: UnicodeString;        { the program of a national 法別 (the contract's "program") }
    CertificateName: UnicodeString;
    ValidFrom: UnicodeString;          { YYYY-MM-DD, or the text as sent when it is not a date }
    ValidTo: UnicodeString;
    IncomeSegment: UnicodeString;
    MaxCopayment: UnicodeString;       { 自己負担上限額 in yen, ASCII digits, when a plain amount }
    AlwaysReimbursement: TKohiVerdict;
    WelfareOfficeName: UnicodeString;  { 医療扶助: 福祉事務所名 }
    Renewal: UnicodeString;            { 'current', 'superseded', 'not_yet_valid', or '' }
  end;
  TKohiEntries = array of TKohiEntry;

  { Something worth a look that did not stop the parse: a code and where. }
  TKohiWarning = record
    Code: UnicodeString;
    Path: UnicodeString;
  end;
  TKohiWarnings = array of TKohiWarning;

  { An element or attribute kohi does not know, kept whole (never dropped): its path and text. }
  TKohiUnknown = record
    Path: UnicodeString;
    Text: UnicodeString;               { may be personal data: do not log it }
  end;
  TKohiUnknowns = array of TKohiUnknown;

  { Parse options (kohi_options): the defaults until set. Strings stay UTF-8, which is what
    KohiObjects reads (a CP932 setting is for callers of kohi.pas alone). Each setter raises
    EKohiError and leaves the options as they were when the value is refused. }
  TKohiOptions = class
  private
    FHandle: Pointer;
  public
    constructor Create;
    destructor Destroy; override;
    { A layout file's JSON (what kohi survey proposes): how this site's PMH data is named and
      placed, learned from a real file without a new kohi. }
    procedure SetLayoutJson(const Json: UnicodeString);
    { The older alias table: canonical names to lists of the names the files use, as JSON. }
    procedure SetAliasesJson(const Json: UnicodeString);
    { The input size limit in bytes (default 64 MiB). }
    procedure SetMaxInputBytes(Limit: NativeUInt);
    { One limit on a document's shape (a KOHI_LIMIT_*). }
    procedure SetLimit(Limit: UInt32; Value: NativeUInt);
    { A watcher's pairing rules ('arbitrary_file_identifier,free_name', or 'none'). }
    procedure SetPairBy(const Rules: UnicodeString);
    { Where a watcher moves each file once acknowledged ('' for none: files stay in place). }
    procedure SetDoneDir(const Path: UnicodeString);
    { A watcher's ledger ('' for the default, <root>/.kohi-inbox.sqlite; not in res/ or face/). }
    procedure SetStateFile(const Path: UnicodeString);
    property Handle: Pointer read FHandle;
  end;

  { A parsed result file. }
  TKohiResult = class
  private
    FHandle: Pointer;
    FOwned: Boolean;
    procedure Check(Status: UInt32);
  public
    { Parses a file; the path goes to kohi as UTF-16 (any name Windows allows). Options: nil
      for the defaults. }
    constructor CreateFromFile(const Path: UnicodeString; Options: TKohiOptions = nil);
    constructor CreateFromBytes(const Bytes: TBytes; Options: TKohiOptions = nil);
    { A result a watch event owns: freed with the event, not by this object. }
    constructor CreateBorrowed(AHandle: Pointer);
    { A result this object owns and frees (a stream's patient). }
    constructor CreateOwning(AHandle: Pointer);
    destructor Destroy; override;
    function PatientCount: Integer;
    { The 公費 of a patient in レセプト order (slots 1–4 first). }
    function Kohi(Patient: Integer): TKohiEntries;
    { A field of the MessageHeader (a KOHI_HEADER_FIELD_*), '' when absent. }
    function Header(Field: UInt32): UnicodeString;
    { A patient-level field (a KOHI_PATIENT_FIELD_*), '' when absent. }
    function PatientField(Patient: Integer; Field: UInt32): UnicodeString;
    function QualificationCount(Patient: Integer): Integer;
    { A field of one of a patient's qualification results (a KOHI_QUALIFICATION_FIELD_*). }
    function Qualification(Patient, Index: Integer; Field: UInt32): UnicodeString;
    function Warnings: TKohiWarnings;
    { Elements and attributes kohi does not know, in document order (a site's PMH data under
      names no layout gives yet: see kohi survey). }
    function UnknownElements: TKohiUnknowns;
    { The JSON contract, shared by every kohi binding. }
    function ToJson: UnicodeString;
    { One patient as in the JSON contract (what ToJson holds for it under "patients"): for
      storing one person of a bulk file without the whole file's JSON. }
    function PatientJson(Patient: Integer): UnicodeString;
    { Compares the 公費 you store for a patient (a JSON array of objects with payer_number,
      recipient_number, valid_from, valid_to, income_segment and max_copayment) with what this
      result says, as of Today ('YYYY-MM-DD'): the changes as a JSON array (the contract's
      reconcile). No PMH data never proposes ending a 公費. }
    function Reconcile(Patient: Integer; const StoredJson, Today: UnicodeString): UnicodeString;
    property Handle: Pointer read FHandle;
  end;

  { One file of a bulk archive (a .zip of result files the terminal wrote). }
  TKohiArchiveEntry = record
    Name: UnicodeString;               { its name inside the archive }
    Result: TKohiResult;               { the parsed file (the event's: do not free it), or nil }
    Error: EKohiError;                 { why it could not be used (the event's: do not raise or free it), or nil }
  end;
  TKohiArchiveEntries = array of TKohiArchiveEntry;

  { The patients of a (bulk) result file one at a time, each a one-patient TKohiResult that
    the caller frees, in memory that does not grow with the file. Free the stream to let its
    file go. }
  TKohiStream = class
  private
    FHandle: Pointer;
  public
    { Opens the file (its encoding detected from its first bytes); Options: nil for the
      defaults (its limits apply per patient). A file past the input size limit raises
      EKohiError (input_too_large) here, before any patient. }
    constructor Create(const Path: UnicodeString; Options: TKohiOptions = nil);
    destructor Destroy; override;
    { The next patient, or nil at the end. Raises EKohiError when the file is not a result
      (after the patients read before the fault); the stream has ended then. }
    function Next: TKohiResult;
    { What the file said besides its patients, once Next has read it to its end: a new
      TKohiResult with no patients, which the caller frees, holding the header (a failed
      request's SegmentOfResult and ErrorCode: such a file has no patient to carry them), a bulk
      file's status and the warnings and unknown elements of no one unit. nil before the end
      and after an error. }
    function Remainder: TKohiResult;
  end;

  { One delivered file of the inbox. Free it when done; acknowledge it (TKohiWatcher.Ack) once
    its result is stored on your side, or it is delivered again after a restart. }
  TKohiWatchEvent = class
  private
    FHandle: Pointer;
    FResult: TKohiResult;
    FError: EKohiError;
    FEntries: TKohiArchiveEntries;
  public
    Id: UnicodeString;       { the same for the same content and name, across restarts }
    Path: UnicodeString;
    Kind: UInt32;            { a KOHI_WATCH_KIND_* }
    Request: UnicodeString;  { the request (in req/) this answers, when known }
    Related: UnicodeString;  { the file of the same patient from the other side (PMH ↔ result) }
    Message: UnicodeString;  { a refused request's .err text }
    constructor CreateFrom(AHandle: Pointer);
    destructor Destroy; override;
    { The parsed file (the event's), or nil. }
    property Result: TKohiResult read FResult;
    { Why the file could not be used (the event's: do not raise or free it), or nil. }
    property Error: EKohiError read FError;
    { The files of a bulk archive (Kind KOHI_WATCH_KIND_BULK_ARCHIVE), which has no Result of
      its own: store every entry before you acknowledge the event. Empty for other kinds. }
    property Entries: TKohiArchiveEntries read FEntries;
    property Handle: Pointer read FHandle;
  end;

  { Watches a terminal folder (res/ and face/): every file at least once, done only when
    acknowledged. Free it to close it. }
  TKohiWatcher = class
  private
    FHandle: Pointer;
  public
    { SettleMs and GiveUpAfterMs: 0 takes the defaults (300 ms, 30 s). }
    constructor Create(const Root: UnicodeString; SettleMs: Cardinal = 0; GiveUpAfterMs: Cardinal = 0;
      Options: TKohiOptions = nil);
    destructor Destroy; override;
    { The next delivered file within TimeoutMs, or nil. Raises EKohiError when the ledger fails
      (nothing is lost: call again) or the watcher was cancelled ('cancelled'). }
    function Next(TimeoutMs: Cardinal): TKohiWatchEvent;
    { Marks the event done, durably, before returning. }
    procedure Ack(Event: TKohiWatchEvent);
    { Pairs a future result carrying this ArbitraryFileIdentifier with its request file. }
    procedure Expect(const ArbitraryFileIdentifier, Request: UnicodeString);
    { Wakes a thread waiting in Next (it raises 'cancelled'); safe from any thread. }
    procedure Cancel;
    { Files seen and not delivered yet: a loop that stops when idle stops when this is 0 too. }
    function Waiting: NativeUInt;
    { Where a corrupt ledger was moved before it was rebuilt (every file still in the folders
      is then delivered again), or ''. }
    function RecoveredStore: UnicodeString;
  end;

  { A 被保険者証 query for KohiWriteRequest: '' leaves a field unset. Dates are 'YYYYMMDD',
    'YYYY-MM-DD' or 'YYYY/MM/DD' (full-width digits too); the 資格確認日 unset is today in Japan. Personal data: do not log it. }
  TKohiRequest = record
    MedicalInstitutionCode: UnicodeString;        { required }
    QualificationConfirmationDate: UnicodeString;
    InsurerNumber: UnicodeString;                 { required }
    InsuredCardSymbol: UnicodeString;
    InsuredIdentificationNumber: UnicodeString;   { required }
    InsuredBranchNumber: UnicodeString;
    Birthdate: UnicodeString;                     { required }
    LimitApplicationConsent: Boolean;
    ArbitraryFileIdentifier: UnicodeString;
  end;

{ kohi's UTF-8 text as a UnicodeString ('' when absent). }
function KohiString(const S: TKohiStr): UnicodeString;

{ The library's version ('0.1.0'). }
function KohiVersion: UnicodeString;

{ Whether a number's length, digits and 検証番号 hold (full-width digits and padding allowed);
  Kind is a KOHI_NUMBER_KIND_*. }
function KohiCheckNumber(Kind: UInt32; const Number: UnicodeString): Boolean;

{ Surveys result files without reading a value out of them: the element tree by shape, the
  proposals and the proposed layout file, as the JSON kohi survey --json prints. Options: nil,
  or the layout to survey with. }
function KohiSurveyFiles(const Paths: array of UnicodeString; Options: TKohiOptions = nil): UnicodeString;

{ Writes the query as OQSsiquc01req_<FreePart>.xml into ReqDir (the terminal's req/),
  atomically and durably, in Shift_JIS unless Utf8; its path. FreePart '': one no other request
  of this process has had. Raises EKohiError: 'invalid_request' naming a field missing or
  malformed, 'not_a_terminal_folder' for res/, face/ or the terminal folder, 'io' for a request
  of the same name already there. }
function KohiWriteRequest(const ReqDir: UnicodeString; const Request: TKohiRequest;
  const FreePart: UnicodeString = ''; Utf8: Boolean = False): UnicodeString;

implementation

function KohiString(const S: TKohiStr): UnicodeString;
var
  Raw: RawByteString;
begin
  Result := '';
  if (S.Ptr = nil) or (S.Len = 0) then Exit;
  SetLength(Raw, S.Len);
  Move(S.Ptr^, Raw[1], S.Len);
{$IFDEF FPC}
  Result := UTF8Decode(Raw);
{$ELSE}
  Result := UTF8ToString(Raw);
{$ENDIF}
end;

{ The length of a NUL-terminated string kohi returned (SysUtils.StrLen of a PAnsiChar is
  deprecated in Delphi in favour of AnsiStrings, which Free Pascal does not have). }
function CLength(P: PAnsiChar): NativeUInt;
begin
  Result := 0;
  if P <> nil then
    while P[Result] <> #0 do Inc(Result);
end;

{ A NUL-terminated UTF-8 copy of S, for kohi's utf8_* arguments. }
function ToUtf8(const S: UnicodeString): UTF8String;
begin
  Result := UTF8Encode(S);
end;

{ A string kohi returned (NUL-terminated UTF-8), as a UnicodeString; freed here. }
function TakeString(P: PAnsiChar): UnicodeString;
var
  S: TKohiStr;
begin
  try
    S.Ptr := P;
    S.Len := CLength(P);
    Result := KohiString(S);
  finally
    kohi_string_free(P);
  end;
end;

{ kohi's error object as an EKohiError; the object stays its owner's. }
function ErrorOf(Error: Pointer): EKohiError;
var
  Name, Text: TKohiStr;
  Os: Int32;
begin
  kohi_error_name_out(Error, @Name);
  kohi_error_message_out(Error, @Text);
  Os := 0;
  kohi_error_os_code(Error, @Os);
  Result := EKohiError.CreateKohi(kohi_error_code(Error), KohiString(Name), KohiString(Text), Os);
end;

{ Raises for a status other than OK, with the error object (freed here) when there is one. }
procedure Raise_(Status: UInt32; Error: Pointer);
var
  E: EKohiError;
  Name: TKohiStr;
begin
  if Status = KOHI_STATUS_OK then Exit;
  if Error <> nil then
  begin
    E := ErrorOf(Error);
    kohi_error_free(Error);
  end
  else
  begin
    kohi_status_name_out(Status, @Name);
    E := EKohiError.CreateKohi(Status, KohiString(Name), KohiString(Name));
  end;
  raise E;
end;

constructor EKohiError.CreateKohi(ANumber: Cardinal; const ACode, AMessage: UnicodeString; AOsCode: Integer);
begin
  inherited Create(string(AMessage));
  FNumber := ANumber;
  FCode := ACode;
  FOsCode := AOsCode;
end;

{ The handle of options that may be nil. }
function OptionsOf(Options: TKohiOptions): Pointer;
begin
  if Options = nil then Result := nil else Result := Options.Handle;
end;

{ TKohiOptions }

constructor TKohiOptions.Create;
begin
  inherited Create;
  FHandle := kohi_options_new();
end;

destructor TKohiOptions.Destroy;
begin
  kohi_options_free(FHandle);
  inherited Destroy;
end;

{ The C setters that take one UTF-8 text (and give an error object on refusal). }
type
  TKohiTextSetter = function(Options: Pointer; Text: PAnsiChar; ErrOut: PPointer): UInt32; cdecl;

{ One text setter on the options, raising EKohiError (the options unchanged) when refused. }
procedure SetText(Options: Pointer; Setter: TKohiTextSetter; const Text: UnicodeString);
var
  Error: Pointer;
begin
  Error := nil;
  Raise_(Setter(Options, PAnsiChar(ToUtf8(Text)), @Error), Error);
end;

procedure TKohiOptions.SetLayoutJson(const Json: UnicodeString);
begin
  SetText(FHandle, kohi_options_set_layout_json, Json);
end;

procedure TKohiOptions.SetAliasesJson(const Json: UnicodeString);
begin
  SetText(FHandle, kohi_options_set_aliases_json, Json);
end;

procedure TKohiOptions.SetMaxInputBytes(Limit: NativeUInt);
begin
  Raise_(kohi_options_set_max_input_bytes(FHandle, Limit), nil);
end;

procedure TKohiOptions.SetLimit(Limit: UInt32; Value: NativeUInt);
begin
  Raise_(kohi_options_set_limit(FHandle, Limit, Value), nil);
end;

procedure TKohiOptions.SetPairBy(const Rules: UnicodeString);
begin
  SetText(FHandle, kohi_options_set_pair_by, Rules);
end;

procedure TKohiOptions.SetDoneDir(const Path: UnicodeString);
begin
  SetText(FHandle, kohi_options_set_done_dir, Path);
end;

procedure TKohiOptions.SetStateFile(const Path: UnicodeString);
begin
  SetText(FHandle, kohi_options_set_state_file, Path);
end;

{ TKohiResult }

constructor TKohiResult.CreateFromFile(const Path: UnicodeString; Options: TKohiOptions);
var
  Error: Pointer;
begin
  inherited Create;
  FOwned := True;
  Error := nil;
  Raise_(kohi_parse_file_utf16(PWideChar(Path), OptionsOf(Options), @FHandle, @Error), Error);
end;

constructor TKohiResult.CreateFromBytes(const Bytes: TBytes; Options: TKohiOptions);
var
  Error: Pointer;
  Data: PByte;
begin
  inherited Create;
  FOwned := True;
  Error := nil;
  if Length(Bytes) > 0 then Data := @Bytes[0] else Data := nil;
  Raise_(kohi_parse(Data, Length(Bytes), OptionsOf(Options), @FHandle, @Error), Error);
end;

constructor TKohiResult.CreateBorrowed(AHandle: Pointer);
begin
  inherited Create;
  FHandle := AHandle;
  FOwned := False;
end;

constructor TKohiResult.CreateOwning(AHandle: Pointer);
begin
  inherited Create;
  FHandle := AHandle;
  FOwned := True;
end;

destructor TKohiResult.Destroy;
begin
  if FOwned and (FHandle <> nil) then kohi_result_free(FHandle);
  inherited Destroy;
end;

procedure TKohiResult.Check(Status: UInt32);
begin
  Raise_(Status, nil);
end;

function TKohiResult.PatientCount: Integer;
var
  Count: NativeUInt;
begin
  Count := 0;
  Check(kohi_patient_count(FHandle, @Count));
  Result := Integer(Count);
end;

function TKohiResult.Kohi(Patient: Integer): TKohiEntries;
var
  Count: NativeUInt;
  I: Integer;

  function Text(Field: UInt32): UnicodeString;
  var
    S: TKohiStr;
  begin
    Check(kohi_kohi_get(FHandle, Patient, I, Field, @S));
    Result := KohiString(S);
  end;

  function Verdict(Flag: UInt32): TKohiVerdict;
  var
    V: Int32;
  begin
    Check(kohi_kohi_get_flag(FHandle, Patient, I, Flag, @V));
    case V of
      KOHI_TRISTATE_TRUE: Result := kvYes;
      KOHI_TRISTATE_FALSE: Result := kvNo;
    else
      Result := kvNone;
    end;
  end;

var
  Slot: UInt32;
begin
  Result := nil;
  Count := 0;
  Check(kohi_kohi_count(FHandle, Patient, @Count));
  SetLength(Result, Count);
  for I := 0 to Integer(Count) - 1 do
  begin
    Slot := 0;
    Check(kohi_kohi_slot(FHandle, Patient, I, @Slot));
    Result[I].Slot := Integer(Slot);
    Result[I].Source := Text(KOHI_KOHI_FIELD_SOURCE);
    Result[I].LawNumber := Text(KOHI_KOHI_FIELD_LAW_NUMBER);
    Result[I].PrefectureNumber := Text(KOHI_KOHI_FIELD_PREFECTURE_NUMBER);
    Result[I].AgencyNumber := Text(KOHI_KOHI_FIELD_AGENCY_NUMBER);
    Result[I].PayerNumber := Text(KOHI_KOHI_FIELD_PAYER_NUMBER);
    Result[I].PayerNumberRaw := Text(KOHI_KOHI_FIELD_PAYER_NUMBER_RAW);
    Result[I].PayerNumberValid := Verdict(KOHI_KOHI_FLAG_PAYER_NUMBER_VALID);
    Result[I].RecipientNumber := Text(KOHI_KOHI_FIELD_RECIPIENT_NUMBER);
    Result[I].RecipientNumberRaw := Text(KOHI_KOHI_FIELD_RECIPIENT_NUMBER_RAW);
    Result[I].RecipientNumberValid := Verdict(KOHI_KOHI_FLAG_RECIPIENT_NUMBER_VALID);
    Result[I].Scope := Text(KOHI_KOHI_FIELD_SCOPE);
    Result[I].ProgramName := Text(KOHI_KOHI_FIELD_PROGRAM);
    Result[I].CertificateName := Text(KOHI_KOHI_FIELD_CERTIFICATE_NAME);
    Result[I].ValidFrom := Text(KOHI_KOHI_FIELD_VALID_FROM);
    Result[I].ValidTo := Text(KOHI_KOHI_FIELD_VALID_TO);
    Result[I].IncomeSegment := Text(KOHI_KOHI_FIELD_INCOME_SEGMENT);
    Result[I].MaxCopayment := Text(KOHI_KOHI_FIELD_MAX_COPAYMENT);
    Result[I].AlwaysReimbursement := Verdict(KOHI_KOHI_FLAG_ALWAYS_REIMBURSEMENT);
    Result[I].WelfareOfficeName := Text(KOHI_KOHI_FIELD_WELFARE_OFFICE_NAME);
    Result[I].Renewal := Text(KOHI_KOHI_FIELD_RENEWAL);
  end;
end;

function TKohiResult.Header(Field: UInt32): UnicodeString;
var
  S: TKohiStr;
begin
  Check(kohi_header_get(FHandle, Field, @S));
  Result := KohiString(S);
end;

function TKohiResult.PatientField(Patient: Integer; Field: UInt32): UnicodeString;
var
  S: TKohiStr;
begin
  Check(kohi_patient_get(FHandle, Patient, Field, @S));
  Result := KohiString(S);
end;

function TKohiResult.QualificationCount(Patient: Integer): Integer;
var
  Count: NativeUInt;
begin
  Count := 0;
  Check(kohi_qualification_count(FHandle, Patient, @Count));
  Result := Integer(Count);
end;

function TKohiResult.Qualification(Patient, Index: Integer; Field: UInt32): UnicodeString;
var
  S: TKohiStr;
begin
  Check(kohi_qualification_get(FHandle, Patient, Index, Field, @S));
  Result := KohiString(S);
end;

function TKohiResult.Warnings: TKohiWarnings;
var
  Count: NativeUInt;
  I: Integer;
  Code, Path: TKohiStr;
begin
  Result := nil;
  Count := 0;
  Check(kohi_warning_count(FHandle, @Count));
  SetLength(Result, Count);
  for I := 0 to Integer(Count) - 1 do
  begin
    Check(kohi_warning_get(FHandle, I, KOHI_WARNING_FIELD_CODE, @Code));
    Check(kohi_warning_get(FHandle, I, KOHI_WARNING_FIELD_PATH, @Path));
    Result[I].Code := KohiString(Code);
    Result[I].Path := KohiString(Path);
  end;
end;

function TKohiResult.UnknownElements: TKohiUnknowns;
var
  Count: NativeUInt;
  I: Integer;
  Path, Text: TKohiStr;
begin
  Result := nil;
  Count := 0;
  Check(kohi_unknown_count(FHandle, @Count));
  SetLength(Result, Count);
  for I := 0 to Integer(Count) - 1 do
  begin
    Check(kohi_unknown_get(FHandle, I, KOHI_UNKNOWN_FIELD_PATH, @Path));
    Check(kohi_unknown_get(FHandle, I, KOHI_UNKNOWN_FIELD_TEXT, @Text));
    Result[I].Path := KohiString(Path);
    Result[I].Text := KohiString(Text);
  end;
end;

function TKohiResult.ToJson: UnicodeString;
var
  Json: PAnsiChar;
begin
  Json := nil;
  Check(kohi_result_to_json(FHandle, @Json));
  Result := TakeString(Json);
end;

function TKohiResult.PatientJson(Patient: Integer): UnicodeString;
var
  Json: PAnsiChar;
begin
  Json := nil;
  Check(kohi_patient_to_json(FHandle, Patient, @Json));
  Result := TakeString(Json);
end;

function TKohiResult.Reconcile(Patient: Integer; const StoredJson, Today: UnicodeString): UnicodeString;
var
  Json: PAnsiChar;
begin
  Json := nil;
  Check(kohi_reconcile_json(PAnsiChar(ToUtf8(StoredJson)), FHandle, Patient, PAnsiChar(ToUtf8(Today)), @Json));
  Result := TakeString(Json);
end;

{ TKohiWatchEvent }

constructor TKohiWatchEvent.CreateFrom(AHandle: Pointer);
var
  S: TKohiStr;
  Doc, Error: Pointer;
  Count: NativeUInt;
  I: Integer;
begin
  inherited Create;
  FHandle := AHandle;
  kohi_watch_event_id(FHandle, @S);
  Id := KohiString(S);
  kohi_watch_event_path(FHandle, @S);
  Path := KohiString(S);
  kohi_watch_event_kind(FHandle, @Kind);
  kohi_watch_event_request(FHandle, @S);
  Request := KohiString(S);
  kohi_watch_event_related(FHandle, @S);
  Related := KohiString(S);
  kohi_watch_event_message(FHandle, @S);
  Message := KohiString(S);
  Doc := kohi_watch_event_result(FHandle);
  if Doc <> nil then FResult := TKohiResult.CreateBorrowed(Doc);
  Error := kohi_watch_event_error(FHandle);
  if Error <> nil then FError := ErrorOf(Error);
  Count := 0;
  kohi_watch_event_entry_count(FHandle, @Count);
  SetLength(FEntries, Count);
  for I := 0 to Integer(Count) - 1 do
  begin
    kohi_watch_event_entry_name(FHandle, I, @S);
    FEntries[I].Name := KohiString(S);
    FEntries[I].Result := nil;
    FEntries[I].Error := nil;
    Doc := kohi_watch_event_entry_result(FHandle, I);
    if Doc <> nil then FEntries[I].Result := TKohiResult.CreateBorrowed(Doc);
    Error := kohi_watch_event_entry_error(FHandle, I);
    if Error <> nil then FEntries[I].Error := ErrorOf(Error);
  end;
end;

destructor TKohiWatchEvent.Destroy;
var
  I: Integer;
begin
  for I := 0 to High(FEntries) do
  begin
    FEntries[I].Result.Free;
    FEntries[I].Error.Free;
  end;
  FResult.Free;
  FError.Free;
  if FHandle <> nil then kohi_watch_event_free(FHandle);
  inherited Destroy;
end;

{ TKohiStream }

constructor TKohiStream.Create(const Path: UnicodeString; Options: TKohiOptions);
var
  Error: Pointer;
begin
  inherited Create;
  Error := nil;
  Raise_(kohi_stream_open(PAnsiChar(ToUtf8(Path)), OptionsOf(Options), @FHandle, @Error), Error);
end;

destructor TKohiStream.Destroy;
begin
  if FHandle <> nil then kohi_stream_free(FHandle);
  inherited Destroy;
end;

function TKohiStream.Next: TKohiResult;
var
  R, Error: Pointer;
begin
  Result := nil;
  R := nil;
  Error := nil;
  Raise_(kohi_stream_next(FHandle, @R, @Error), Error);
  if R <> nil then Result := TKohiResult.CreateOwning(R);
end;

function TKohiStream.Remainder: TKohiResult;
var
  R: Pointer;
begin
  Result := nil;
  R := nil;
  Raise_(kohi_stream_remainder(FHandle, @R), nil);
  if R <> nil then Result := TKohiResult.CreateOwning(R);
end;

{ TKohiWatcher }

constructor TKohiWatcher.Create(const Root: UnicodeString; SettleMs, GiveUpAfterMs: Cardinal; Options: TKohiOptions);
var
  Error: Pointer;
begin
  inherited Create;
  Error := nil;
  Raise_(kohi_watcher_new(PAnsiChar(ToUtf8(Root)), OptionsOf(Options), SettleMs, GiveUpAfterMs, @FHandle, @Error), Error);
end;

destructor TKohiWatcher.Destroy;
begin
  if FHandle <> nil then kohi_watcher_free(FHandle);
  inherited Destroy;
end;

function TKohiWatcher.Next(TimeoutMs: Cardinal): TKohiWatchEvent;
var
  E: Pointer;
begin
  Result := nil;
  E := nil;
  Raise_(kohi_watcher_next(FHandle, TimeoutMs, @E), nil);
  if E <> nil then Result := TKohiWatchEvent.CreateFrom(E);
end;

procedure TKohiWatcher.Ack(Event: TKohiWatchEvent);
var
  Error: Pointer;
begin
  Error := nil;
  Raise_(kohi_watcher_ack(FHandle, Event.Handle, @Error), Error);
end;

procedure TKohiWatcher.Expect(const ArbitraryFileIdentifier, Request: UnicodeString);
var
  Error: Pointer;
begin
  Error := nil;
  Raise_(kohi_watcher_expect(FHandle, PAnsiChar(ToUtf8(ArbitraryFileIdentifier)), PAnsiChar(ToUtf8(Request)), @Error), Error);
end;

procedure TKohiWatcher.Cancel;
begin
  kohi_watcher_cancel(FHandle);
end;

function TKohiWatcher.Waiting: NativeUInt;
begin
  Result := 0;
  Raise_(kohi_watcher_waiting(FHandle, @Result), nil);
end;

function TKohiWatcher.RecoveredStore: UnicodeString;
var
  S: TKohiStr;
begin
  S.Ptr := nil;
  S.Len := 0;
  Raise_(kohi_watcher_recovered_store(FHandle, @S), nil);
  Result := KohiString(S);
end;

function KohiVersion: UnicodeString;
var
  S: TKohiStr;
begin
  S.Ptr := kohi_version();
  S.Len := CLength(S.Ptr);
  Result := KohiString(S);
end;

function KohiCheckNumber(Kind: UInt32; const Number: UnicodeString): Boolean;
var
  Valid: Int32;
begin
  Valid := 0;
  Raise_(kohi_check_number(Kind, PAnsiChar(ToUtf8(Number)), @Valid), nil);
  Result := Valid = 1;
end;

function KohiSurveyFiles(const Paths: array of UnicodeString; Options: TKohiOptions): UnicodeString;
var
  Texts: array of UTF8String;
  Pointers: array of PAnsiChar;
  I: Integer;
  Json: PAnsiChar;
begin
  SetLength(Texts, Length(Paths));
  SetLength(Pointers, Length(Paths) + 1);
  for I := 0 to High(Paths) do
  begin
    Texts[I] := ToUtf8(Paths[I]);
    Pointers[I] := PAnsiChar(Texts[I]);
  end;
  Json := nil;
  Raise_(kohi_survey_files_json(@Pointers[0], Length(Paths), OptionsOf(Options), @Json), nil);
  Result := TakeString(Json);
end;

function KohiWriteRequest(const ReqDir: UnicodeString; const Request: TKohiRequest;
  const FreePart: UnicodeString; Utf8: Boolean): UnicodeString;
var
  Q, Error: Pointer;
  Written: PAnsiChar;
  Encoding: UInt32;
  FreeText: UTF8String;

  procedure SetField(Field: UInt32; const Value: UnicodeString);
  var
    Text: UTF8String;
    E: Pointer;
  begin
    E := nil;
    if Value = '' then
      Raise_(kohi_request_set(Q, Field, nil, @E), E)
    else
    begin
      Text := ToUtf8(Value);
      Raise_(kohi_request_set(Q, Field, PAnsiChar(Text), @E), E);
    end;
  end;

begin
  Result := '';
  Q := kohi_request_new();
  try
    SetField(KOHI_REQUEST_FIELD_MEDICAL_INSTITUTION_CODE, Request.MedicalInstitutionCode);
    SetField(KOHI_REQUEST_FIELD_QUALIFICATION_CONFIRMATION_DATE, Request.QualificationConfirmationDate);
    SetField(KOHI_REQUEST_FIELD_INSURER_NUMBER, Request.InsurerNumber);
    SetField(KOHI_REQUEST_FIELD_INSURED_CARD_SYMBOL, Request.InsuredCardSymbol);
    SetField(KOHI_REQUEST_FIELD_INSURED_IDENTIFICATION_NUMBER, Request.InsuredIdentificationNumber);
    SetField(KOHI_REQUEST_FIELD_INSURED_BRANCH_NUMBER, Request.InsuredBranchNumber);
    SetField(KOHI_REQUEST_FIELD_BIRTHDATE, Request.Birthdate);
    if Request.LimitApplicationConsent then SetField(KOHI_REQUEST_FIELD_LIMIT_APPLICATION_CONSENT, '1')
    else SetField(KOHI_REQUEST_FIELD_LIMIT_APPLICATION_CONSENT, '0');
    SetField(KOHI_REQUEST_FIELD_ARBITRARY_FILE_IDENTIFIER, Request.ArbitraryFileIdentifier);
    if Utf8 then Encoding := KOHI_REQUEST_ENCODING_UTF8 else Encoding := KOHI_REQUEST_ENCODING_SHIFT_JIS;
    Written := nil;
    Error := nil;
    if FreePart = '' then
      Raise_(kohi_request_write(Q, PAnsiChar(ToUtf8(ReqDir)), nil, Encoding, @Written, @Error), Error)
    else
    begin
      FreeText := ToUtf8(FreePart);
      Raise_(kohi_request_write(Q, PAnsiChar(ToUtf8(ReqDir)), PAnsiChar(FreeText), Encoding, @Written, @Error), Error);
    end;
    Result := TakeString(Written);
  finally
    kohi_request_free(Q);
  end;
end;

end.
