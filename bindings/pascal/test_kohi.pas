{ Every golden fixture through kohi.pas (Free Pascal in Delphi mode, as a Delphi vendor would call
  kohi.dll): the JSON contract byte for byte, or the golden's error code.
    fpc -Mdelphi test_kohi.pas && ./test_kohi ../../fixtures }
program test_kohi;

{$IFDEF FPC}{$MODE DELPHI}{$ENDIF}

uses SysUtils, Classes, kohi;

var
  Passed, Failed: Integer;

procedure Check(Ok: Boolean; const What: string);
begin
  if Ok then Inc(Passed) else begin Inc(Failed); WriteLn('FAIL ', What); end;
end;

function ReadBytes(const Path: string): RawByteString;
var
  S: TFileStream;
begin
  S := TFileStream.Create(Path, fmOpenRead or fmShareDenyNone);
  try
    SetLength(Result, S.Size);
    if S.Size > 0 then S.ReadBuffer(Result[1], S.Size);
  finally
    S.Free;
  end;
end;

{ Whitespace outside strings removed: a golden is pretty-printed in the contract's key order. }
function Minify(const Json: RawByteString): RawByteString;
var
  I: Integer;
  InString, Escaped: Boolean;
  C: AnsiChar;
begin
  Result := '';
  InString := False;
  Escaped := False;
  for I := 1 to Length(Json) do
  begin
    C := Json[I];
    if InString then
    begin
      Result := Result + C;
      if Escaped then Escaped := False
      else if C = '\' then Escaped := True
      else if C = '"' then InString := False;
    end
    else if C = '"' then begin InString := True; Result := Result + C; end
    else if not (C in [' ', #9, #10, #13]) then Result := Result + C;
  end;
end;

function KohiText(const S: TKohiStr): RawByteString;
begin
  SetLength(Result, S.Len);
  if S.Len > 0 then Move(S.Ptr^, Result[1], S.Len);
end;

var
  Dir, Xml, Golden, Want: RawByteString;
  Rec: TSearchRec;
  Res, Err: Pointer;
  Json: PAnsiChar;
  Code: TKohiStr;
  Status: UInt32;
begin
  Dir := IncludeTrailingPathDelimiter(ParamStr(1));
  Passed := 0;
  Failed := 0;
  if FindFirst(Dir + '*.xml', faAnyFile, Rec) = 0 then
  begin
    repeat
      Xml := Dir + Rec.Name;
      Golden := ReadBytes(ChangeFileExt(Xml, '') + '.expected.json');
      Want := Minify(Golden);
      Res := nil;
      Err := nil;
      Status := kohi_parse_file(PAnsiChar(Xml), nil, @Res, @Err);
      if Status = KOHI_STATUS_OK then
      begin
        Check(kohi_result_to_json(Res, @Json) = KOHI_STATUS_OK, Rec.Name + ': to JSON');
        Check(RawByteString(Json) = Want, Rec.Name + ': JSON equals the golden');
        kohi_string_free(Json);
        kohi_result_free(Res);
      end
      else
      begin
        Check(kohi_error_name_out(Err, @Code) = KOHI_STATUS_OK, Rec.Name + ': error name');
        Check(Pos('"code":"' + KohiText(Code) + '"', Want) > 0, Rec.Name + ': error ' + string(KohiText(Code)));
        kohi_error_free(Err);
      end;
    until FindNext(Rec) <> 0;
    FindClose(Rec);
  end;
  Check(Passed >= 40, 'there are fixtures');
  WriteLn(Passed, ' passed, ', Failed, ' failed');
  if Failed > 0 then Halt(1);
end.
