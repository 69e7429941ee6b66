{ What the Pascal test programs share: counting checks, and reading a fixture's bytes. }
unit KohiTestSupport;

{$IFDEF FPC}{$MODE DELPHI}{$H+}{$ENDIF}

interface

uses SysUtils, Classes;

var
  Passed, Failed: Integer;

{ Counts a check; prints what failed. }
procedure Check(Ok: Boolean; const What: string);

{ A file's bytes. }
function ReadBytes(const Path: string): RawByteString;

{ A file's bytes as TBytes (what TKohiResult.CreateFromBytes takes). }
function ReadByteArray(const Path: string): TBytes;

implementation

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

function ReadByteArray(const Path: string): TBytes;
var
  Text: RawByteString;
begin
  Text := ReadBytes(Path);
  Result := nil;
  SetLength(Result, Length(Text));
  if Length(Text) > 0 then Move(Text[1], Result[0], Length(Text));
end;

end.
