// Every visible string, by language. Pick with data-lang or navigator.language.
const TABLE = {
  en: {
    open: "Open chat",
    close: "Close chat",
    title: "Chat with us",
    subtitle: "AI Representative",
    greeting: "Hi! How can I help you today?",
    placeholder: "Write a message…",
    inputLabel: "Your message",
    send: "Send",
    stop: "Stop",
    retry: "Retry",
    you: "You",
    bot: "Representative",
    typing: "The Representative is typing",
    log: "Conversation",
    disclaimer: "Answers come from an AI and may be inaccurate.",
    interrupted: "This reply was interrupted.",
    stopped: "You stopped this reply.",
    renewed: "Your previous conversation expired, so a new one was started.",
    failed: "Something went wrong.",
    network: "The connection to the chat failed. Check your network and retry.",
    rateLimited: "Too many messages at once. Please wait a moment, then retry.",
    navigated: "Opened {target}",
    openedModal: "Opened “{target}”",
    scrolled: "Scrolled to {target}",
    highlighted: "Highlighted {target}",
    filled: "Filled in {count} field(s) of the form",
    blocked: "Blocked an action the Representative asked for: {target}",
    announceReply: "The Representative replied: {text}",
  },
  es: {
    open: "Abrir chat",
    close: "Cerrar chat",
    title: "Chatea con nosotros",
    subtitle: "Representante IA",
    greeting: "¡Hola! ¿En qué puedo ayudarte hoy?",
    placeholder: "Escribe un mensaje…",
    inputLabel: "Tu mensaje",
    send: "Enviar",
    stop: "Detener",
    retry: "Reintentar",
    you: "Tú",
    bot: "Representante",
    typing: "El Representante está escribiendo",
    log: "Conversación",
    disclaimer: "Las respuestas las genera una IA y pueden contener errores.",
    interrupted: "Esta respuesta se interrumpió.",
    stopped: "Detuviste esta respuesta.",
    renewed: "Tu conversación anterior caducó, así que empezamos una nueva.",
    failed: "Algo salió mal.",
    network: "Falló la conexión con el chat. Revisa tu red y vuelve a intentarlo.",
    rateLimited: "Demasiados mensajes a la vez. Espera un momento y reintenta.",
    navigated: "Se abrió {target}",
    openedModal: "Se abrió «{target}»",
    scrolled: "Se desplazó a {target}",
    highlighted: "Se resaltó {target}",
    filled: "Se rellenaron {count} campo(s) del formulario",
    blocked: "Se bloqueó una acción que pidió el Representante: {target}",
    announceReply: "El Representante respondió: {text}",
  },
  de: {
    open: "Chat öffnen",
    close: "Chat schließen",
    title: "Chatten Sie mit uns",
    subtitle: "KI-Repräsentant",
    greeting: "Hallo! Wie kann ich Ihnen heute helfen?",
    placeholder: "Nachricht schreiben…",
    inputLabel: "Ihre Nachricht",
    send: "Senden",
    stop: "Stoppen",
    retry: "Erneut versuchen",
    you: "Sie",
    bot: "Repräsentant",
    typing: "Der Repräsentant schreibt",
    log: "Unterhaltung",
    disclaimer: "Antworten stammen von einer KI und können Fehler enthalten.",
    interrupted: "Diese Antwort wurde unterbrochen.",
    stopped: "Sie haben diese Antwort gestoppt.",
    renewed: "Ihre vorige Unterhaltung ist abgelaufen; eine neue wurde begonnen.",
    failed: "Etwas ist schiefgelaufen.",
    network: "Die Verbindung zum Chat ist fehlgeschlagen. Prüfen Sie Ihr Netz und versuchen Sie es erneut.",
    rateLimited: "Zu viele Nachrichten auf einmal. Bitte kurz warten und erneut versuchen.",
    navigated: "{target} geöffnet",
    openedModal: "„{target}“ geöffnet",
    scrolled: "Zu {target} gescrollt",
    highlighted: "{target} hervorgehoben",
    filled: "{count} Feld(er) des Formulars ausgefüllt",
    blocked: "Eine vom Repräsentanten gewünschte Aktion wurde blockiert: {target}",
    announceReply: "Der Repräsentant antwortete: {text}",
  },
};

export const LANGUAGES = Object.keys(TABLE);

/** The string table for a language tag ("es-MX" -> es), English as fallback. */
export function pickStrings(...candidates) {
  for (const tag of candidates) {
    const base = String(tag || "").toLowerCase().split("-")[0];
    if (TABLE[base]) return { lang: base, t: format(TABLE[base]) };
  }
  return { lang: "en", t: format(TABLE.en) };
}

function format(table) {
  return (key, vars) => {
    let text = table[key] || TABLE.en[key] || key;
    if (vars) for (const name in vars) text = text.split("{" + name + "}").join(String(vars[name]));
    return text;
  };
}
