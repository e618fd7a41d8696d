// parse-prometheus-text-format ships no types: the part the metrics test uses.
declare module "parse-prometheus-text-format" {
  type Sample = { readonly value: string; readonly labels?: Readonly<Record<string, string>> };
  type MetricFamily = {
    readonly name: string;
    readonly help: string;
    readonly type: "COUNTER" | "GAUGE" | "SUMMARY" | "HISTOGRAM" | "UNTYPED";
    readonly metrics: readonly Sample[];
  };
  export default function parsePrometheusTextFormat(text: string): MetricFamily[];
}
