// The billing pages' strings, and how they show money and dates.
//
// Money comes from the API as exact decimal strings ("100.50", "-0.25"): it is shown exactly
// as given, next to its currency, never through floating point.

import type { Schemas } from "../../api/client";
import type { Strings } from "../../i18n";

type Kind = Schemas["TransactionKind"];
type Status = Schemas["InvoiceStatus"];

export type BillingKey =
  | "title"
  | "balance"
  | "held"
  | "available"
  | "heldHint"
  | "availableHint"
  | "terms"
  | "accountKind"
  | "prepaid"
  | "postpaid"
  | "creditLimit"
  | "taxRate"
  | "billingDay"
  | "transactions"
  | "noTransactions"
  | "date"
  | "kind"
  | "description"
  | "amount"
  | "allKinds"
  | "filterKind"
  | "nextPage"
  | "firstPage"
  | "previousPage"
  | "invoices"
  | "noInvoices"
  | "number"
  | "period"
  | "status"
  | "total"
  | "due"
  | "draft"
  | "invoice"
  | "draftInvoice"
  | "print"
  | "back"
  | "billTo"
  | "issued"
  | "dueOn"
  | "lines"
  | "quantity"
  | "noLines"
  | "subtotal"
  | "tax"
  | "paid"
  | "voidedOn"
  | `kind_${Kind}`
  | `status_${Status}`
  | "line_calls"
  | "line_did_fees"
  | "line_adjustments";

export const BILLING_STRINGS: Strings<BillingKey> = {
  en: {
    title: "Billing",
    balance: "Balance",
    held: "Held by calls in progress",
    available: "Available to spend",
    heldHint: "Reserved while calls are in progress.",
    availableHint: "Balance plus credit limit, less what calls in progress hold.",
    terms: "Billing terms",
    accountKind: "Account",
    prepaid: "Prepaid",
    postpaid: "Postpaid",
    creditLimit: "Credit limit",
    taxRate: "Tax rate",
    billingDay: "Billing period starts on day",
    transactions: "Transactions",
    noTransactions: "No transactions.",
    date: "Date",
    kind: "Kind",
    description: "Description",
    amount: "Amount",
    allKinds: "All kinds",
    filterKind: "Show",
    nextPage: "Next page",
    firstPage: "First page",
    previousPage: "Previous page",
    invoices: "Invoices",
    noInvoices: "No invoices yet. An invoice is made at the end of each billing period with something to bill.",
    number: "Number",
    period: "Period",
    status: "Status",
    total: "Total",
    due: "Due",
    draft: "Draft",
    invoice: "Invoice",
    draftInvoice: "Draft invoice",
    print: "Print",
    back: "Back to billing",
    billTo: "Bill to",
    issued: "Issued",
    dueOn: "Payment due",
    lines: "Lines",
    quantity: "Quantity",
    noLines: "No lines.",
    subtotal: "Subtotal",
    tax: "Tax",
    paid: "Paid",
    voidedOn: "Void since",
    kind_top_up: "Top-up",
    kind_payment: "Payment",
    kind_call_charge: "Call charge",
    kind_did_setup_fee: "Number setup fee",
    kind_did_monthly_fee: "Number monthly fee",
    kind_adjustment: "Adjustment",
    kind_refund: "Refund",
    kind_invoice: "Invoice",
    status_draft: "Draft",
    status_issued: "Issued",
    status_paid: "Paid",
    status_void: "Void",
    line_calls: "Calls",
    line_did_fees: "Number fees",
    line_adjustments: "Adjustments",
  },
  es: {
    title: "Facturación",
    balance: "Saldo",
    held: "Retenido por llamadas en curso",
    available: "Disponible para gastar",
    heldHint: "Reservado mientras hay llamadas en curso.",
    availableHint: "Saldo más límite de crédito, menos lo retenido por llamadas en curso.",
    terms: "Condiciones de facturación",
    accountKind: "Cuenta",
    prepaid: "Prepago",
    postpaid: "Pospago",
    creditLimit: "Límite de crédito",
    taxRate: "Tipo de impuesto",
    billingDay: "El periodo de facturación empieza el día",
    transactions: "Movimientos",
    noTransactions: "No hay movimientos.",
    date: "Fecha",
    kind: "Tipo",
    description: "Descripción",
    amount: "Importe",
    allKinds: "Todos los tipos",
    filterKind: "Mostrar",
    nextPage: "Página siguiente",
    firstPage: "Primera página",
    previousPage: "Página anterior",
    invoices: "Facturas",
    noInvoices: "Aún no hay facturas. Se emite una al final de cada periodo de facturación con algo que facturar.",
    number: "Número",
    period: "Periodo",
    status: "Estado",
    total: "Total",
    due: "Pendiente",
    draft: "Borrador",
    invoice: "Factura",
    draftInvoice: "Borrador de factura",
    print: "Imprimir",
    back: "Volver a facturación",
    billTo: "Facturar a",
    issued: "Emitida",
    dueOn: "Vencimiento",
    lines: "Conceptos",
    quantity: "Cantidad",
    noLines: "Sin conceptos.",
    subtotal: "Base imponible",
    tax: "Impuesto",
    paid: "Pagado",
    voidedOn: "Anulada desde",
    kind_top_up: "Recarga",
    kind_payment: "Pago",
    kind_call_charge: "Cargo por llamada",
    kind_did_setup_fee: "Alta de número",
    kind_did_monthly_fee: "Cuota mensual de número",
    kind_adjustment: "Ajuste",
    kind_refund: "Reembolso",
    kind_invoice: "Factura",
    status_draft: "Borrador",
    status_issued: "Emitida",
    status_paid: "Pagada",
    status_void: "Anulada",
    line_calls: "Llamadas",
    line_did_fees: "Cuotas de números",
    line_adjustments: "Ajustes",
  },
};

export const TRANSACTION_KINDS: readonly Kind[] = [
  "top_up",
  "payment",
  "call_charge",
  "did_setup_fee",
  "did_monthly_fee",
  "adjustment",
  "refund",
  "invoice",
];

export { isNegative, money } from "../../money";

/** A calendar date (`YYYY-MM-DD`) in the user's words; no time zone moves it. */
export function formatDate(date: string, locale: string): string {
  const [y, m, d] = date.split("-").map(Number);
  if (!y || !m || !d) return date;
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", dateStyle: "medium" }).format(new Date(Date.UTC(y, m - 1, d)));
}

/** The day before `date` (an invoice's period end is exclusive; people read the last day). */
export function dayBefore(date: string): string {
  const [y, m, d] = date.split("-").map(Number);
  if (!y || !m || !d) return date;
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

export function formatInstant(iso: string, locale: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(t));
}

export function period(start: string, endExclusive: string, locale: string): string {
  return `${formatDate(start, locale)} – ${formatDate(dayBefore(endExclusive), locale)}`;
}
