import { describe, expect, it } from "vitest";
import {
  exportFileName,
  exportPath,
  fill,
  formatBytes,
  importPath,
  importPhase,
  importProgress,
  isFinished,
  parseCsv,
  pollDelay,
  previewRates,
  readHead,
} from "./rateDeckModel";

describe("importPhase", () => {
  const base = { dry_run: false, activate: false, version: null };
  it("names the waiting and running states as the API does", () => {
    expect(importPhase({ ...base, status: "receiving" })).toBe("receiving");
    expect(importPhase({ ...base, status: "queued" })).toBe("queued");
    expect(importPhase({ ...base, status: "running" })).toBe("running");
    expect(importPhase({ ...base, status: "rejected" })).toBe("rejected");
    expect(importPhase({ ...base, status: "failed" })).toBe("failed");
  });
  it("tells a checked file from a version made, and one made active", () => {
    expect(importPhase({ ...base, status: "succeeded", dry_run: true, activate: true })).toBe("valid");
    expect(importPhase({ ...base, status: "succeeded", version: 2 })).toBe("made");
    expect(importPhase({ ...base, status: "succeeded", version: 2, activate: true })).toBe("madeActive");
  });
});

describe("isFinished", () => {
  it("stops polling only at an end state", () => {
    expect(["receiving", "queued", "running"].map((s) => isFinished(s as never))).toEqual([false, false, false]);
    expect(["succeeded", "rejected", "failed"].map((s) => isFinished(s as never))).toEqual([true, true, true]);
  });
});

describe("importProgress", () => {
  it("is indeterminate before the job reports", () => {
    expect(importProgress({ status: "queued", progress: null, size_bytes: 2000 })).toEqual({ done: 0, total: 2000, percent: null });
  });
  it("is the bytes read of the total, in whole percent", () => {
    expect(importProgress({ status: "running", progress: { done: 333, total: 1000 }, size_bytes: 1000 })).toEqual({
      done: 333,
      total: 1000,
      percent: 33,
    });
  });
  it("falls back to the file's size when the job gives no total, and never passes 100", () => {
    expect(importProgress({ status: "running", progress: { done: 1500, total: null }, size_bytes: 1000 }).percent).toBe(100);
    expect(importProgress({ status: "running", progress: { done: 10, total: null }, size_bytes: 0 })).toEqual({ done: 10, total: null, percent: null });
  });
  it("is complete once the import ends", () => {
    expect(importProgress({ status: "succeeded", progress: { done: 10, total: 50 }, size_bytes: 50 }).percent).toBe(100);
  });
});

describe("pollDelay", () => {
  it("starts quick and settles at two seconds", () => {
    expect([0, 1, 2, 3, 4, 10].map(pollDelay)).toEqual([250, 500, 1000, 2000, 2000, 2000]);
  });
});

describe("formatBytes", () => {
  it("uses decimal units", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(3_200_000)).toBe("3.2 MB");
    expect(formatBytes(256 * 1024 * 1024)).toBe("268.4 MB");
  });
});

describe("fill", () => {
  it("fills known placeholders and leaves the rest", () => {
    expect(fill("Version {version} with {rows} rates {x}", { version: 3, rows: "12" })).toBe("Version 3 with 12 rates {x}");
  });
});

describe("paths and names", () => {
  it("spells the import's options as the API does", () => {
    expect(importPath("t", "d", { dryRun: false, activate: false })).toBe("/v1/tenants/t/rate-decks/d/imports");
    expect(importPath("t", "d", { dryRun: true, activate: true })).toBe("/v1/tenants/t/rate-decks/d/imports?dry_run=true&activate=true");
    expect(exportPath("t", "d", 4)).toBe("/v1/tenants/t/rate-decks/d/versions/4/export");
  });
  it("makes a safe file name of the deck's name", () => {
    expect(exportFileName("Retail España 2027", 3)).toBe("retail-espana-2027-v3.csv");
    expect(exportFileName("../../etc", 1)).toBe("etc-v1.csv");
    expect(exportFileName("???", 2)).toBe("rate-deck-v2.csv");
  });
});

describe("parseCsv", () => {
  it("reads quoted cells with commas, quotes and line breaks, with CRLF or LF", () => {
    const text = 'prefix,destination,rate\r\n1,"NANP, USA & Canada",0.005\n2,"Say ""hi""\nthere",0.010000\n';
    expect(parseCsv(text)).toEqual([
      ["prefix", "destination", "rate"],
      ["1", "NANP, USA & Canada", "0.005"],
      ["2", 'Say "hi"\nthere', "0.010000"],
    ]);
  });
  it("keeps a last line without a newline, unless the text was cut off", () => {
    expect(parseCsv("a,b\n1,2")).toEqual([["a", "b"], ["1", "2"]]);
    expect(parseCsv("a,b\n1,2", true)).toEqual([["a", "b"]]);
  });
});

describe("previewRates", () => {
  const csv = "prefix,destination,rate\n34,Spain,0.012\n44,United Kingdom,0.010000\n1,USA,0.005\n";
  it("keeps every rate as the exact text the API wrote", () => {
    const p = previewRates(csv, true, 10);
    expect(p.columns).toEqual(["prefix", "destination", "rate"]);
    expect(p.rows[1]).toEqual({ prefix: "44", destination: "United Kingdom", rate: "0.010000" });
    expect(p.more).toBe(false);
  });
  it("says when more rates follow the ones shown", () => {
    expect(previewRates(csv, true, 2)).toMatchObject({ rows: [{ prefix: "34" }, { prefix: "44" }], more: true });
    // Read only in part: the cut-off last line is not shown as a rate.
    const cut = previewRates("prefix,destination,rate\n34,Spain,0.012\n44,Uni", false, 10);
    expect(cut.rows).toEqual([{ prefix: "34", destination: "Spain", rate: "0.012" }]);
    expect(cut.more).toBe(true);
  });
});

describe("readHead", () => {
  const stream = (chunks: string[]) =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(c) {
          for (const chunk of chunks) c.enqueue(new TextEncoder().encode(chunk));
          c.close();
        },
      }),
    );
  it("reads a short answer whole", async () => {
    expect(await readHead(stream(["a,b\n", "1,2\n"]), 10)).toEqual({ text: "a,b\n1,2\n", complete: true });
  });
  it("stops once enough lines arrived", async () => {
    const head = await readHead(stream(["h\n1\n", "2\n3\n", "4\n5\n", "6\n"]), 3);
    expect(head).toEqual({ text: "h\n1\n2\n3\n", complete: false });
  });
});
