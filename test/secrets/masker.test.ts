import { PassThrough } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskerFor, SecretMasker } from "../../src/secrets";

const KEY = "sk_live_51Habc+/=$(x).*?";

describe("SecretMasker", () => {
  it("replaces every occurrence of a value, including one full of regular-expression characters", () => {
    const masker = new SecretMasker([KEY]);
    expect(masker.mask(`key=${KEY} again:${KEY}.`)).toBe("key=[secret] again:[secret].");
    expect(masker.mask("nothing here")).toBe("nothing here");
  });

  it("replaces the encodings a value takes on its way into output", () => {
    const value = 'p@ss wörd/"q"&x';
    const masker = new SecretMasker([value]);
    const encoded = {
      json: JSON.stringify({ password: value }),
      asciiJson: `{"password":"p@ss w\\u00f6rd/\\"q\\"&x"}`,
      base64: `Authorization: Basic ${Buffer.from(value).toString("base64")}`,
      base64url: `token=${Buffer.from(value).toString("base64url")}`,
      url: `https://example.com/?p=${encodeURIComponent(value)}`,
      form: `p=${encodeURIComponent(value).replace(/%20/g, "+")}&q=1`,
    };
    for (const [form, text] of Object.entries(encoded)) {
      expect(masker.mask(text), form).toContain("[secret]");
      expect(masker.mask(text), form).not.toContain("ss w");
    }
  });

  it("hides each line of a multi-line value where a log splits it", () => {
    const pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\n  AQEFAASCBKcwggSjAgEAAoIB\n-----END PRIVATE KEY-----";
    const masker = new SecretMasker([pem]);
    expect(masker.mask(`whole: ${pem}`)).toBe("whole: [secret]");
    expect(masker.mask("line: MIIEvQIBADANBgkqhkiG9w0B")).toBe("line: [secret]");
    expect(masker.mask("trimmed: AQEFAASCBKcwggSjAgEAAoIB")).toBe("trimmed: [secret]");
    expect(masker.mask(JSON.stringify({ pem }))).toBe('{"pem":"[secret]"}');
  });

  it("masks values shorter than four characters only where they stand alone", () => {
    const masker = new SecretMasker(["42x"]);
    expect(masker.mask("PIN=42x, pin: '42x'")).toBe("PIN=[secret], pin: '[secret]'");
    expect(masker.mask("build 142x7 took 42xs")).toBe("build 142x7 took 42xs");
  });

  it("ignores empty values and masks nothing when it holds none", () => {
    const masker = new SecretMasker(["", ""]);
    expect(masker.size).toBe(0);
    expect(masker.mask("a b c")).toBe("a b c");
  });

  it("masks strings, keys and errors deep inside results without changing the input", () => {
    const masker = new SecretMasker(["hunter2hunter2"]);
    const input = {
      reason: "bad value hunter2hunter2",
      nested: [{ hunter2hunter2: 1, ok: "fine" }],
      error: new Error("connect failed for hunter2hunter2"),
      count: 3,
    };
    const masked = masker.maskDeep(input);
    expect(masked).toMatchObject({ reason: "bad value [secret]", nested: [{ "[secret]": 1, ok: "fine" }], count: 3 });
    expect(masked.error.message).toBe("connect failed for [secret]");
    expect(JSON.stringify(masked) + masked.error.stack).not.toContain("hunter2hunter2");
    expect(input.reason).toBe("bad value hunter2hunter2");
  });

  it("masks a stream even when a value is split across writes", async () => {
    const masker = new SecretMasker(["correct-horse-battery"]);
    const sink = new PassThrough();
    let out = "";
    sink.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const stream = masker.wrapWritable(sink);
    stream.write("first line with correct-hor");
    stream.write("se-battery inside\nsecond correct-horse-");
    stream.end("battery at the end without newline");
    await new Promise((resolve) => stream.on("finish", resolve));
    expect(out).toBe("first line with [secret] inside\nsecond [secret] at the end without newline");
  });

  it("wraps a line callback", () => {
    const lines: string[] = [];
    const onOutput = maskerFor([
      { name: "A", value: "value-of-a-1", provenance: { name: "A", scheme: "env", location: "A" } },
    ]).wrapLines((line) => lines.push(line));
    onOutput("+ env A=value-of-a-1");
    expect(lines).toEqual(["+ env A=[secret]"]);
  });

  it("never leaves a value of four or more characters visible in any text (property)", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 40 }).filter((v) => v.trim().length >= 4),
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }),
        (value, before, after) => {
          const masker = new SecretMasker([value]);
          const masked = masker.mask(`${before}${value}${after}`);
          return !masked.includes(value) && masked.includes("[secret]");
        },
      ),
      { numRuns: 300 },
    );
  });
});
