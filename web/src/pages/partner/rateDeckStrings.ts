// The words of the partner's rate-deck pages (list, deck, import, versions), in English and
// Spanish. `{name}` placeholders are filled by `fill` in rateDeckModel.ts.

import type { Strings } from "../../i18n";

type Key =
  | "title"
  | "intro"
  | "none"
  | "create"
  | "newDeck"
  | "name"
  | "currency"
  | "currencyHint"
  | "colCurrency"
  | "colDescription"
  | "description"
  | "descriptionHint"
  | "activeVersion"
  | "noActive"
  | "updated"
  | "created"
  | "nextPage"
  | "firstPage"
  | "back"
  | "details"
  | "save"
  | "saved"
  | "importTitle"
  | "importHint"
  | "file"
  | "dryRun"
  | "activateWhenReady"
  | "upload"
  | "uploading"
  | "chooseFile"
  | "phase_receiving"
  | "phase_queued"
  | "phase_running"
  | "phase_valid"
  | "phase_made"
  | "phase_madeActive"
  | "phase_rejected"
  | "phase_failed"
  | "progress"
  | "progressUnknown"
  | "badLines"
  | "line"
  | "reason"
  | "moreErrors"
  | "versions"
  | "noVersions"
  | "version"
  | "status"
  | "rates"
  | "readyAt"
  | "activatedAt"
  | "actions"
  | "status_importing"
  | "status_ready"
  | "isActive"
  | "activate"
  | "activateQuestion"
  | "export"
  | "exportFailed"
  | "preview"
  | "hidePreview"
  | "previewCaption"
  | "previewMore"
  | "col_prefix"
  | "col_destination"
  | "col_rate"
  | "col_connection_fee"
  | "col_minimum_seconds"
  | "col_first_increment"
  | "col_next_increment"
  | "col_effective_from"
  | "col_effective_until"
  | "dangerZone"
  | "delete"
  | "deleteQuestion"
  | "usedBy";

export const DECK_STRINGS: Strings<Key> = {
  en: {
    title: "Rate decks",
    intro: "The prices your customers' outside calls are sold at. Each customer's billing terms choose one deck.",
    none: "No rate decks yet.",
    create: "Create deck",
    newDeck: "New rate deck",
    name: "Name",
    currency: "Currency (ISO 4217)",
    currencyHint: "Every rate of the deck is in it; it cannot change later.",
    colCurrency: "Currency",
    colDescription: "Description",
    description: "Description (optional)",
    descriptionHint: "Up to 200 characters.",
    activeVersion: "Active version",
    noActive: "None",
    updated: "Updated",
    created: "Created",
    nextPage: "Next page",
    firstPage: "First page",
    back: "All rate decks",
    details: "Details",
    save: "Save",
    saved: "Saved",
    importTitle: "Import rates from CSV",
    importHint:
      "A header line naming the columns: prefix, destination and rate (per minute) are required; connection_fee, minimum_seconds, first_increment and next_increment (seconds, 60 if left out), effective_from and effective_until are optional. Amounts with a decimal point and at most six decimals. The file makes a new version; any bad line and nothing is applied.",
    file: "CSV file",
    dryRun: "Only check the file (apply nothing)",
    activateWhenReady: "Make the new version active when it is ready",
    upload: "Upload",
    uploading: "Uploading the file…",
    chooseFile: "Choose a CSV file first.",
    phase_receiving: "Receiving the file…",
    phase_queued: "Waiting to start…",
    phase_running: "Checking and storing the rates…",
    phase_valid: "The file is valid: {rows} rates. Nothing was applied.",
    phase_made: "Version {version} made with {rows} rates.",
    phase_madeActive: "Version {version} made with {rows} rates, and it is now active.",
    phase_rejected: "{bad} of {rows} lines are bad; nothing was applied. Fix them and upload again:",
    phase_failed: "The import failed: {failure}",
    progress: "Read {done} of {total} ({percent} %)",
    progressUnknown: "Read {done}",
    badLines: "Bad lines",
    line: "Line",
    reason: "Problem",
    moreErrors: "Show more bad lines",
    versions: "Versions",
    noVersions: "No versions yet: import a CSV file to make the first one.",
    version: "Version",
    status: "Status",
    rates: "Rates",
    readyAt: "Ready",
    activatedAt: "Last activated",
    actions: "Actions",
    status_importing: "Importing",
    status_ready: "Ready",
    isActive: "Active",
    activate: "Activate",
    activateQuestion: "Make version {version} the active one? Calls rated from now on use its rates.",
    export: "Export CSV",
    exportFailed: "The export failed",
    preview: "Show rates",
    hidePreview: "Hide rates",
    previewCaption: "The first rates of version {version}",
    previewMore: "Only the first {count} rates are shown; export the version for all of them.",
    col_prefix: "Prefix",
    col_destination: "Destination",
    col_rate: "Rate per minute",
    col_connection_fee: "Connection fee",
    col_minimum_seconds: "Minimum (s)",
    col_first_increment: "First increment (s)",
    col_next_increment: "Next increment (s)",
    col_effective_from: "From",
    col_effective_until: "Until",
    dangerZone: "Delete this deck",
    delete: "Delete deck",
    deleteQuestion: "Delete this rate deck with all its versions? This cannot be undone.",
    usedBy: "Customers selling at it (change their billing terms first):",
  },
  es: {
    title: "Tarifas",
    intro: "Los precios a los que se venden las llamadas externas de sus clientes. Las condiciones de facturación de cada cliente eligen una tarifa.",
    none: "Todavía no hay tarifas.",
    create: "Crear tarifa",
    newDeck: "Nueva tarifa",
    name: "Nombre",
    currency: "Moneda (ISO 4217)",
    currencyHint: "Todos los precios de la tarifa van en ella; no se puede cambiar después.",
    colCurrency: "Moneda",
    colDescription: "Descripción",
    description: "Descripción (opcional)",
    descriptionHint: "Hasta 200 caracteres.",
    activeVersion: "Versión activa",
    noActive: "Ninguna",
    updated: "Actualizada",
    created: "Creada",
    nextPage: "Página siguiente",
    firstPage: "Primera página",
    back: "Todas las tarifas",
    details: "Datos",
    save: "Guardar",
    saved: "Guardado",
    importTitle: "Importar precios desde CSV",
    importHint:
      "Una línea de cabecera con los nombres de las columnas: prefix, destination y rate (por minuto) son obligatorias; connection_fee, minimum_seconds, first_increment y next_increment (segundos, 60 si se omiten), effective_from y effective_until son opcionales. Importes con punto decimal y como mucho seis decimales. El archivo crea una versión nueva; con una sola línea errónea no se aplica nada.",
    file: "Archivo CSV",
    dryRun: "Solo comprobar el archivo (no aplicar nada)",
    activateWhenReady: "Activar la versión nueva cuando esté lista",
    upload: "Subir",
    uploading: "Subiendo el archivo…",
    chooseFile: "Elija primero un archivo CSV.",
    phase_receiving: "Recibiendo el archivo…",
    phase_queued: "Esperando para empezar…",
    phase_running: "Comprobando y guardando los precios…",
    phase_valid: "El archivo es válido: {rows} precios. No se ha aplicado nada.",
    phase_made: "Versión {version} creada con {rows} precios.",
    phase_madeActive: "Versión {version} creada con {rows} precios, y ya está activa.",
    phase_rejected: "{bad} de {rows} líneas tienen errores; no se ha aplicado nada. Corríjalas y vuelva a subir el archivo:",
    phase_failed: "La importación ha fallado: {failure}",
    progress: "Leídos {done} de {total} ({percent} %)",
    progressUnknown: "Leídos {done}",
    badLines: "Líneas con errores",
    line: "Línea",
    reason: "Problema",
    moreErrors: "Ver más líneas con errores",
    versions: "Versiones",
    noVersions: "Todavía no hay versiones: importe un archivo CSV para crear la primera.",
    version: "Versión",
    status: "Estado",
    rates: "Precios",
    readyAt: "Lista",
    activatedAt: "Última activación",
    actions: "Acciones",
    status_importing: "Importando",
    status_ready: "Lista",
    isActive: "Activa",
    activate: "Activar",
    activateQuestion: "¿Activar la versión {version}? Las llamadas que se tarifiquen desde ahora usarán sus precios.",
    export: "Exportar CSV",
    exportFailed: "La exportación ha fallado",
    preview: "Ver precios",
    hidePreview: "Ocultar precios",
    previewCaption: "Los primeros precios de la versión {version}",
    previewMore: "Solo se muestran los primeros {count} precios; exporte la versión para verlos todos.",
    col_prefix: "Prefijo",
    col_destination: "Destino",
    col_rate: "Precio por minuto",
    col_connection_fee: "Establecimiento",
    col_minimum_seconds: "Mínimo (s)",
    col_first_increment: "Primer tramo (s)",
    col_next_increment: "Tramos siguientes (s)",
    col_effective_from: "Desde",
    col_effective_until: "Hasta",
    dangerZone: "Eliminar esta tarifa",
    delete: "Eliminar tarifa",
    deleteQuestion: "¿Eliminar esta tarifa con todas sus versiones? No se puede deshacer.",
    usedBy: "Clientes que venden con ella (cambie antes sus condiciones de facturación):",
  },
};
