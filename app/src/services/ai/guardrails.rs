//! Escalation triggers on an inbound customer message.
//!
//! [`check`] reports which escalation reasons a message triggers (legal
//! threats, refund requests, pricing questions, requests for a human), each
//! once, in priority order, together with the phrase as the customer wrote it.
//!
//! Matching is word-based: the message is split into words (case-insensitive,
//! punctuation ignored, so "TALK to a... human!!" matches), and each rule is a
//! short sequence of word slots. A few rules carry guards against common false
//! positives ("tennis court", "how much longer", "tour operator", "Sue from
//! accounts").
//!
//! Negation is handled sparingly: a Refund, Pricing or HumanRequest trigger
//! is ignored when a negating phrase ("don't want", "not asking for", "no need
//! for", "without", "instead of", "rather than", ...) ends at most three words
//! before it in the same clause (clauses are broken by `, ; : . ! ?`, newlines
//! and "but"/"however").
//!
//! Legal words are read in their context ([`innocent`]), because a customer
//! who mentions one in passing should get an answer, not a queue:
//!
//! - **Plain negation**: "I'm not taking legal action", "not suing anyone",
//!   "no lawyers involved" (a bare "not"/"never"/"no"/"won't" at most three
//!   words before, with only words like "taking", "going to", "any" between).
//!   "I don't want to involve my lawyer" and "I will not hesitate to sue"
//!   stay threats.
//! - **A third party or a job**: "a lawyer friend", "my sister is a lawyer",
//!   "as a lawyer", "a lawyer recommended your shop".
//! - **Quoted**: a legal, pricing or human word inside double quotes ("the
//!   “Attorney” jacket") is a name, not a request.
//! - **Hypothetical or joking**: "hypothetically", "out of curiosity" (legal
//!   and human-request words), or a joke marker after it in the same
//!   sentence ("lol", "jk", "😉": every reason).
//!
//! The other reasons read some context too: the customer's own job ("I'm a
//! supervisor at a summer camp"), a refund declined ("Nope, no refund, I'm
//! keeping it"; "still no refund" stays a demand), meta-negations ("it's not
//! a pricing question", "don't transfer me to an agent", "nobody needs to
//! call me back"), and words in another sense ("sales team", "promo emails",
//! "customs fees", "your support team told me…").
//!
//! Explicit legal language that needs no lawyer ("illegal", "against the
//! law") is a trigger of its own, so a mention set aside above still
//! escalates when the message also says that.

use std::sync::LazyLock;

use super::textutil::{normalize_word, word_spans};

/// Why a message should be escalated to a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reason {
    /// A question about prices, costs, fees, discounts or quotes.
    Pricing,
    /// A request for a refund, reimbursement, chargeback or compensation.
    Refund,
    /// A legal threat or a formal legal/data-protection request.
    Legal,
    /// The customer asked for a human.
    HumanRequest,
}

impl Reason {
    /// All reasons in priority order (the order [`check`] reports them in).
    pub const PRIORITY: [Reason; 4] = [
        Reason::Legal,
        Reason::Refund,
        Reason::Pricing,
        Reason::HumanRequest,
    ];

    /// Stable machine code: "pricing", "refund", "legal" or "human_request".
    pub fn code(self) -> &'static str {
        match self {
            Reason::Pricing => "pricing",
            Reason::Refund => "refund",
            Reason::Legal => "legal",
            Reason::HumanRequest => "human_request",
        }
    }

    /// Short human-readable label for agents.
    pub fn label(self) -> &'static str {
        match self {
            Reason::Pricing => "Pricing question",
            Reason::Refund => "Refund request",
            Reason::Legal => "Legal concern",
            Reason::HumanRequest => "Asked for a human",
        }
    }
}

/// One triggered reason and the phrase that triggered it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    /// The escalation reason.
    pub reason: Reason,
    /// The matching phrase exactly as written in the input (first occurrence).
    pub matched: String,
}

#[derive(Debug)]
struct Tok {
    norm: String,
    start: usize,
    end: usize,
    clause: usize,
}

fn words(text: &str) -> Vec<Tok> {
    let mut out = Vec::new();
    let mut clause = 0;
    let mut prev_end = 0;
    for (start, end) in word_spans(text) {
        let gap = &text[prev_end..start];
        if gap
            .chars()
            .any(|c| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '\n'))
        {
            clause += 1;
        }
        let norm = normalize_word(&text[start..end]);
        if matches!(norm.as_str(), "but" | "however" | "although" | "though") {
            clause += 1;
        }
        out.push(Tok {
            norm,
            start,
            end,
            clause,
        });
        prev_end = end;
    }
    out
}

#[derive(Debug)]
enum Alt {
    Exact(String),
    Prefix(String),
}

#[derive(Debug)]
struct Slot {
    alts: Vec<Alt>,
    optional: bool,
}

impl Slot {
    fn matches(&self, w: &str) -> bool {
        self.alts.iter().any(|a| match a {
            Alt::Exact(x) => x == w,
            Alt::Prefix(p) => w.starts_with(p.as_str()),
        })
    }
}

/// Pattern syntax: space-separated slots; `a|b` alternatives; a trailing `?`
/// makes a slot optional; a trailing `*` on an alternative is a prefix match.
fn parse_pattern(p: &str) -> Vec<Slot> {
    p.split_whitespace()
        .map(|slot| {
            let (body, optional) = match slot.strip_suffix('?') {
                Some(b) => (b, true),
                None => (slot, false),
            };
            let alts = body
                .split('|')
                .filter(|a| !a.is_empty())
                .map(|a| match a.strip_suffix('*') {
                    Some(pre) => Alt::Prefix(pre.to_string()),
                    None => Alt::Exact(a.to_string()),
                })
                .collect();
            Slot { alts, optional }
        })
        .collect()
}

fn match_from(slots: &[Slot], toks: &[Tok], i: usize) -> Option<usize> {
    let Some((first, rest)) = slots.split_first() else {
        return Some(i);
    };
    if let Some(t) = toks.get(i) {
        if first.matches(&t.norm) {
            if let Some(end) = match_from(rest, toks, i + 1) {
                return Some(end);
            }
        }
    }
    if first.optional {
        return match_from(rest, toks, i);
    }
    None
}

struct Rule {
    reason: Reason,
    slots: Vec<Slot>,
    not_before: &'static [&'static str],
    not_after: &'static [&'static str],
    after_window: usize,
}

impl Rule {
    /// Token range `[i, end)` when the rule matches starting at token `i`.
    fn match_at(&self, toks: &[Tok], i: usize) -> Option<usize> {
        let end = match_from(&self.slots, toks, i)?;
        if end <= i {
            return None;
        }
        if i > 0 && self.not_before.contains(&toks[i - 1].norm.as_str()) {
            return None;
        }
        let clause = toks[end - 1].clause;
        let mut after = toks
            .iter()
            .skip(end)
            .take(self.after_window)
            .take_while(|t| t.clause == clause);
        if after.any(|t| self.not_after.contains(&t.norm.as_str())) {
            return None;
        }
        Some(end)
    }
}

struct RuleSpec {
    reason: Reason,
    pattern: &'static str,
    /// The rule does not fire right after one of these words.
    not_before: &'static [&'static str],
    /// The rule does not fire when one of these words occurs within
    /// `after_window` words after the match, in the same clause.
    not_after: &'static [&'static str],
    after_window: usize,
}

/// A plain rule.
const fn r(reason: Reason, pattern: &'static str) -> RuleSpec {
    g(reason, pattern, NONE, NONE, 1)
}

/// A guarded rule.
const fn g(
    reason: Reason,
    pattern: &'static str,
    not_before: &'static [&'static str],
    not_after: &'static [&'static str],
    after_window: usize,
) -> RuleSpec {
    RuleSpec {
        reason,
        pattern,
        not_before,
        not_after,
        after_window,
    }
}

const NONE: &[&str] = &[];

const RULE_SPECS: &[RuleSpec] = &[
    // --- Legal ---
    r(Reason::Legal, "lawyer*"),
    r(Reason::Legal, "attorney*"),
    r(Reason::Legal, "solicitor*"),
    r(Reason::Legal, "lawsuit*"),
    r(Reason::Legal, "litigation|litigate"),
    r(
        Reason::Legal,
        "sue you|your|u|ya|yall|y'all|the|them|this|for|over|everyone|somebody|someone",
    ),
    r(
        Reason::Legal,
        "will|i'll|ill|gonna|to|and|or|could|would|can|might|may|shall|i'd|we'll|we'd|they'll sue",
    ),
    r(Reason::Legal, "suing|sued"),
    r(
        Reason::Legal,
        "legal action|actions|proceedings|proceeding|recourse|advice|steps",
    ),
    g(
        Reason::Legal,
        "court|courts",
        &[
            "tennis",
            "basketball",
            "badminton",
            "squash",
            "volleyball",
            "netball",
            "pickleball",
            "padel",
            "food",
        ],
        &[
            "shoe", "shoes", "sneakers", "trainers", "stenographer", "reporter", "clerk", "yard",
            "house", "side",
        ],
        1,
    ),
    r(Reason::Legal, "small claims"),
    r(Reason::Legal, "gdpr|dsar|dsars"),
    r(Reason::Legal, "data subject access? request*"),
    r(Reason::Legal, "subject|data access request*"),
    r(Reason::Legal, "consumer protection|rights"),
    r(Reason::Legal, "trading standards"),
    r(Reason::Legal, "cease and desist"),
    r(Reason::Legal, "liable|liability"),
    r(Reason::Legal, "ombudsman"),
    r(Reason::Legal, "better business bureau"),
    r(Reason::Legal, "violation|violations|violate|violates|violating"),
    r(Reason::Legal, "false advertising"),
    r(Reason::Legal, "ftc|ccpa|cpra"),
    r(Reason::Legal, "can spam"),
    r(Reason::Legal, "report|reporting you|your|the company to"),
    r(Reason::Legal, "damages"),
    r(Reason::Legal, "injury|injuries|injured"),
    r(Reason::Legal, "safety|product recall|recalls"),
    r(Reason::Legal, "a recall"),
    r(Reason::Legal, "state|federal|consumer|eu law|laws|legislation"),
    r(Reason::Legal, "comply|complies|compliant|compliance"),
    r(Reason::Legal, "do not sell"),
    r(Reason::Legal, "illegal|illegally|unlawful|unlawfully"),
    r(Reason::Legal, "break|breaks|breaking|broke|against the law"),
    r(Reason::Legal, "data protection law|laws|act|regulation|rights|authority"),
    // German, French, Spanish (the help center's other languages).
    r(Reason::Legal, "anwalt*|rechtsanwalt*|anwält*|anwaelt*"),
    // "Gericht" alone is also a dish.
    r(Reason::Legal, "verklage*|klage|gerichtlich*"),
    r(Reason::Legal, "vor|zum|ans|zu gericht"),
    r(Reason::Legal, "rechtliche|juristische schritte"),
    r(Reason::Legal, "dsgvo|datenschutzbehörde|verbraucherzentrale"),
    r(Reason::Legal, "avocat|avocats|avocate|tribunal|tribunaux|procès|huissier|rgpd"),
    r(Reason::Legal, "action|actions en justice"),
    r(Reason::Legal, "porter plainte"),
    r(Reason::Legal, "mise en demeure"),
    // "Demanda" alone is also demand (for a product).
    r(Reason::Legal, "abogado|abogada|abogados|demandar*|juzgado|tribunales|lopd"),
    r(Reason::Legal, "demanda judicial"),
    r(Reason::Legal, "poner|pondré|pondre|presentar una demanda|denuncia"),
    r(Reason::Legal, "acciones|acción|accion legales|legal"),
    r(Reason::Legal, "reclamación|reclamacion en|a consumo"),
    r(Reason::Legal, "oficina del? consumidor"),
    // --- Refund ---
    r(Reason::Refund, "refund*"),
    r(Reason::Refund, "money back"),
    r(Reason::Refund, "reimburse*"),
    r(Reason::Refund, "chargeback*"),
    r(Reason::Refund, "charge back"),
    r(
        Reason::Refund,
        "dispute the|this|that|a|my charge|charges|transaction|payment",
    ),
    r(Reason::Refund, "credit my|the card|account"),
    r(Reason::Refund, "compensation|compensate|compensated"),
    r(Reason::Refund, "pay me back"),
    r(Reason::Refund, "charged me? twice"),
    r(Reason::Refund, "double charged|billed|charge"),
    r(Reason::Refund, "give me back"),
    r(Reason::Refund, "money returned|still"),
    r(Reason::Refund, "money will|to? come|comes|go|goes|went|get|gets back"),
    r(Reason::Refund, "money isn't|hasn't|has|is"),
    r(Reason::Refund, "store credit"),
    r(Reason::Refund, "fee|amount|payment|deposit back"),
    r(Reason::Refund, "geld zurück|zurueck|wieder"),
    r(Reason::Refund, "rückerstattung*|rueckerstattung*|erstattung*|erstatten|erstattet|zurückerstatten|entschädigung*"),
    r(Reason::Refund, "rembours*|dédommag*|indemnis*"),
    r(Reason::Refund, "mon argent"),
    r(Reason::Refund, "reembols*|indemniz*|compensación"),
    r(
        Reason::Refund,
        "devuelvan|devolver|devuelva|devuelve|devolverme|regresen el|mi dinero|importe",
    ),
    r(Reason::Refund, "dinero de vuelta"),
    // --- Pricing ---
    // "How much longer", "how much does it weigh", "how much room is there".
    g(
        Reason::Pricing,
        "how much",
        NONE,
        &[
            "longer", "time", "earlier", "later", "sooner", "weight", "weigh", "weighs", "space",
            "room", "data", "detail", "notice", "effort", "further", "water", "fit", "hold",
            "holds", "capacity",
        ],
        6,
    ),
    r(Reason::Pricing, "price|prices|priced|pricing|price's"),
    g(
        Reason::Pricing,
        "cost|costs|costing",
        &["all"],
        &["me", "us", "him", "her", "them"],
        1,
    ),
    r(Reason::Pricing, "quote|quotes|quotation"),
    r(Reason::Pricing, "discount*"),
    // "promo emails" are mail, not a price question.
    g(
        Reason::Pricing,
        "coupon*|voucher*|promo*",
        NONE,
        &[
            "email", "emails", "e-mail", "e-mails", "mail", "mails", "newsletter", "newsletters",
            "texts", "sms", "messages",
        ],
        1,
    ),
    r(Reason::Pricing, "cheap|cheaper|cheapest"),
    r(Reason::Pricing, "expensive|overpriced|pricey"),
    // Customs and import fees are the carrier's and the country's (an
    // article answers them).
    g(
        Reason::Pricing,
        "fee|fees",
        &["customs", "import", "duty", "duties"],
        NONE,
        1,
    ),
    r(Reason::Pricing, "on sale"),
    r(Reason::Pricing, "invoice amount|total"),
    r(Reason::Pricing, "the total"),
    r(Reason::Pricing, "free shipping|returns|delivery"),
    r(Reason::Pricing, "shipping free"),
    r(Reason::Pricing, "minimum amount|order|spend|purchase"),
    g(
        Reason::Pricing,
        "sale|sales|deals",
        &["final"],
        &[
            "team", "rep", "reps", "representative", "representatives", "department", "job",
            "person", "people", "staff",
        ],
        1,
    ),
    r(Reason::Pricing, "black friday"),
    r(Reason::Pricing, "cyber monday"),
    r(Reason::Pricing, "have|need to pay"),
    r(Reason::Pricing, "pay for the|a? label|shipping|return|postage"),
    r(Reason::Pricing, "preis|preise|kostet|kosten|teuer|rabatt*|gutschein*|versandkosten"),
    g(
        Reason::Pricing,
        "wie viel|viele",
        NONE,
        &["zeit", "tage", "wochen", "stunden"],
        2,
    ),
    // "Remise" is also a handing-over, "frais" also fresh.
    r(Reason::Pricing, "prix|tarif|tarifs|réduction|réductions"),
    r(Reason::Pricing, "frais de|d' livraison|port|envoi|expédition|retour"),
    r(Reason::Pricing, "coûte|coute|coûtent|coutent|coût|cout|coûts"),
    r(Reason::Pricing, "code promo"),
    g(
        Reason::Pricing,
        "combien",
        NONE,
        &["temps", "jours", "semaines", "heures", "délai", "mois"],
        2,
    ),
    r(Reason::Pricing, "precio|precios|cuesta|cuestan|descuento*|cupón|cupon|tarifa|tarifas"),
    r(Reason::Pricing, "gastos de envío|envio"),
    g(
        Reason::Pricing,
        "cuánto|cuanto|cuánta|cuanta",
        NONE,
        &[
            "tiempo", "tarda", "tardan", "días", "dias", "semanas", "horas", "esperar", "falta",
            "faltan",
        ],
        3,
    ),
    // --- HumanRequest ---
    r(
        Reason::HumanRequest,
        "talk|speak|chat|connect|transfer|escalate|put me|us|this|it? to|with a|an|the|some|your|one|any? \
         real|actual|live|human|proper? human|humans|person|people|agent|agents|someone|somebody|\
         representative|rep|manager|supervisor|operator|staff|employee",
    ),
    r(
        Reason::HumanRequest,
        "real|actual|live human|humans|person|people|agent|agents|representative|rep|operator",
    ),
    r(
        Reason::HumanRequest,
        "customer service|support|care rep|reps|representative|representatives",
    ),
    // "your support team told me to…" reports what happened; it asks for no one.
    g(
        Reason::HumanRequest,
        "support|service agent|agents|staff|team|person",
        NONE,
        &[
            "said", "told", "says", "replied", "answered", "sent", "emailed", "mentioned",
            "wrote", "confirmed", "helped", "gave", "recommended", "was", "were", "can't",
            "cannot", "couldn't", "can", "is", "are", "will", "won't", "did", "didn't", "does",
            "doesn't", "around", "open",
        ],
        3,
    ),
    // "my phone number changed" is not a request to be called.
    g(
        Reason::HumanRequest,
        "phone number",
        &["my", "new", "old", "his", "her", "their", "our", "wrong"],
        NONE,
        1,
    ),
    r(Reason::HumanRequest, "contact|call|ring me"),
    r(Reason::HumanRequest, "call me back"),
    r(
        Reason::HumanRequest,
        "phone with a|an|your|the? someone|somebody|anyone|person|human|agent|manager|supervisor|rep|representative",
    ),
    r(
        Reason::HumanRequest,
        "echten|echte|echter|echtem|realen mensch|menschen|person|mitarbeiter|mitarbeiterin",
    ),
    r(
        Reason::HumanRequest,
        "mit einem|einer|jemandem? mensch|menschen|mitarbeiter|mitarbeiterin|person|kundenberater* sprechen|reden",
    ),
    r(Reason::HumanRequest, "kein|keinen|nicht bot|roboter|chatbot"),
    r(
        Reason::HumanRequest,
        "parler à|a|avec un|une|quelqu'un|quelqu humain|humaine|conseiller|conseillère|personne|agent|opérateur|opératrice|responsable",
    ),
    r(Reason::HumanRequest, "conseiller|conseillère humain|humaine"),
    r(Reason::HumanRequest, "vraie|vrai personne|humain"),
    r(Reason::HumanRequest, "pas un|une robot|bot|machine"),
    r(
        Reason::HumanRequest,
        "hablar con un|una|alguien? persona|humano|agente|asesor|asesora|robot|bot|máquina|encargado",
    ),
    r(Reason::HumanRequest, "persona real|humana"),
    r(Reason::HumanRequest, "agente humano|real"),
    r(Reason::HumanRequest, "pásame|pasame|pásenme|pasenme con"),
    r(Reason::HumanRequest, "transfer me"),
    r(Reason::HumanRequest, "deal|work with a|an|some|real? person|human|people"),
    r(Reason::HumanRequest, "someone|somebody|member from|of your|the team|staff|support"),
    r(Reason::HumanRequest, "a|the|your manager|supervisor"),
    g(
        Reason::HumanRequest,
        "operator",
        &[
            "tour", "smooth", "machine", "crane", "forklift", "camera", "ski", "lift",
        ],
        NONE,
        1,
    ),
    r(Reason::HumanRequest, "stop|end|quit the|this bot|chatbot"),
    r(
        Reason::HumanRequest,
        "are|r you a|an? real? bot|robot|ai|machine|human|person|computer|chatbot",
    ),
    r(
        Reason::HumanRequest,
        "is this a|an? bot|robot|ai|machine|automated|chatbot",
    ),
    r(
        Reason::HumanRequest,
        "human|humans|agent|representative|rep|person|operator please|pls|plz",
    ),
    r(
        Reason::HumanRequest,
        "want|need|demand|request|get|give me? a|an human|humans|agent|representative|rep|\
         supervisor|manager|operator|person",
    ),
    r(
        Reason::HumanRequest,
        "is|are there a|an|any? real|actual? human|humans|person|people|agent|agents|anyone|\
         anybody|someone|somebody",
    ),
];

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    RULE_SPECS
        .iter()
        .map(|spec| Rule {
            reason: spec.reason,
            slots: parse_pattern(spec.pattern),
            not_before: spec.not_before,
            not_after: spec.not_after,
            after_window: spec.after_window,
        })
        .collect()
});

const NEGATION_SPECS: &[&str] = &[
    "don't|dont|doesn't|doesnt|didn't|didnt|won't|wont|wouldn't|wouldnt want|need|require|expect|ask",
    "won't|wont|wouldn't|wouldnt|not be needing|wanting|requesting|asking",
    "do|does|did|will|would not want|need|require|expect|ask",
    "not asking|looking|seeking|interested|after|requesting|trying",
    "not a|an",
    "no need|interest",
    "nobody|noone|no-one needs|has|have? to",
    "don't|dont|never transfer|connect|escalate|put|forward",
    "no|nope|zero refund|refunds|compensation needed|necessary|required|wanted|please",
    "never asked|wanted|requested",
    "without",
    "instead of",
    "rather than",
];

static NEGATIONS: LazyLock<Vec<Vec<Slot>>> =
    LazyLock::new(|| NEGATION_SPECS.iter().map(|p| parse_pattern(p)).collect());

/// Maximum number of words allowed between a negating phrase and a trigger.
const NEGATION_WINDOW: usize = 3;

/// `(end, clause)` of each negating phrase: `end` is the exclusive token index.
/// `(start, end, clause)` of each negating phrase (`end` exclusive).
fn negation_ends(toks: &[Tok]) -> Vec<(usize, usize, usize)> {
    let mut out = Vec::new();
    for i in 0..toks.len() {
        for slots in NEGATIONS.iter() {
            if let Some(end) = match_from(slots, toks, i) {
                if end > i {
                    out.push((i, end, toks[end - 1].clause));
                }
            }
        }
    }
    out
}

/// A negating phrase that starts before the trigger and ends at most
/// [`NEGATION_WINDOW`] words before it, or inside it ("I don't *need* a
/// person" matches a trigger that starts at "need").
fn is_negated(negs: &[(usize, usize, usize)], toks: &[Tok], start: usize) -> bool {
    negs.iter().any(|&(from, end, clause)| {
        from < start
            && (end > start || start - end <= NEGATION_WINDOW)
            && clause == toks[start].clause
    })
}

/// All escalation reasons triggered by `text`, each at most once, in priority
/// order Legal, Refund, Pricing, HumanRequest. `matched` is the first
/// non-negated occurrence, exactly as written.
pub fn check(text: &str) -> Vec<Trigger> {
    let toks = words(text);
    let negs = negation_ends(&toks);
    let mut first: [Option<(usize, usize)>; 4] = [None; 4];
    for i in 0..toks.len() {
        for rule in RULES.iter() {
            let slot = priority_index(rule.reason);
            if first[slot].is_some() {
                continue;
            }
            let Some(end) = rule.match_at(&toks, i) else {
                continue;
            };
            if rule.reason != Reason::Legal && is_negated(&negs, &toks, i) {
                continue;
            }
            if innocent(rule.reason, text, &toks, i, end) {
                continue;
            }
            first[slot] = Some((toks[i].start, toks[end - 1].end));
        }
    }
    // A message that is only "agent", "human", "representative", … asks for one.
    let bare = [
        "agent",
        "human",
        "representative",
        "rep",
        "person",
        "operator",
        "someone",
    ];
    if toks.len() <= 2 && first[priority_index(Reason::HumanRequest)].is_none() {
        if let Some(t) = toks.iter().find(|t| bare.contains(&t.norm.as_str())) {
            first[priority_index(Reason::HumanRequest)] = Some((t.start, t.end));
        }
    }
    Reason::PRIORITY
        .iter()
        .zip(first)
        .filter_map(|(&reason, span)| {
            span.map(|(s, e)| Trigger {
                reason,
                matched: text[s..e].to_string(),
            })
        })
        .collect()
}

/// Words that may stand between a plain negation and a legal word it
/// negates ("not *going to* sue", "not taking *any* legal action").
const LEGAL_NEGATION_GAP: &[&str] = &[
    "taking",
    "take",
    "going",
    "gonna",
    "planning",
    "intending",
    "threatening",
    "considering",
    "pursuing",
    "seeking",
    "looking",
    "thinking",
    "about",
    "of",
    "into",
    "to",
    "any",
    "a",
    "an",
    "be",
    "the",
    "at",
    "all",
    "even",
    "interested",
    "in",
    "involving",
    "involve",
    "getting",
    "get",
];

/// A bare negation before a legal word.
const LEGAL_NEGATORS: &[&str] = &[
    "not", "never", "no", "nor", "won't", "wont", "isn't", "aren't", "wasn't", "without",
];

/// People a customer may mention who happen to be lawyers.
const RELATIONS: &[&str] = &[
    "friend",
    "friends",
    "brother",
    "sister",
    "mom",
    "mum",
    "mother",
    "dad",
    "father",
    "wife",
    "husband",
    "partner",
    "cousin",
    "uncle",
    "aunt",
    "son",
    "daughter",
    "colleague",
    "colleagues",
    "neighbour",
    "neighbor",
    "boss",
    "roommate",
    "buddy",
    "mate",
    "girlfriend",
    "boyfriend",
    "family",
];

/// A lawyer at work: "I'm an attorney representing …" is a legal matter.
const ACTING: &[&str] = &[
    "representing",
    "represent",
    "represents",
    "behalf",
    "acting",
    "retained",
    "client",
    "clients",
    "instructed",
    "writing",
];

/// What someone does when they recommend or like a shop, not sue it.
const PRAISE: &[&str] = &[
    "recommended",
    "recommends",
    "recommend",
    "suggested",
    "suggests",
    "mentioned",
    "loves",
    "loved",
    "swears",
    "raved",
    "raves",
    "gave",
    "bought",
    "gifted",
    "uses",
    "used",
    "pointed",
];

/// Markers of a joke, at the end of a sentence.
const JOKES: &[&str] = &[
    "jk",
    "j/k",
    "just kidding",
    "kidding",
    "lol",
    "lmao",
    "haha",
    "hehe",
    "😉",
    "😂",
    "😜",
    "😅",
    "🤣",
    "😄",
    "/s",
];

/// Markers of a hypothetical question.
const HYPOTHETICAL: &[&str] = &[
    "hypothetically",
    "hypothetical",
    "curiosity",
    "curious",
    "theoretically",
    "in theory",
];

fn is_lawyer(w: &str) -> bool {
    ["lawyer", "attorney", "solicitor"]
        .iter()
        .any(|p| w.starts_with(p))
}

/// The sentence around byte range `start..end`: from the last `.!?` or
/// newline before it to the next after it.
fn sentence(text: &str, start: usize, end: usize) -> (&str, &str) {
    let from = text[..start]
        .rfind(['.', '!', '?', '\n'])
        .map_or(0, |i| i + 1);
    let to = text[end..]
        .find(['.', '!', '?', '\n'])
        .map_or(text.len(), |i| end + i);
    (&text[from..start], &text[end..to])
}

/// Inside double quotes ("…", “…”, «…», „…“)?
fn quoted(text: &str, start: usize, end: usize) -> bool {
    let before = &text[..start];
    let after = &text[end..];
    let straight = before.matches('"').count() % 2 == 1 && after.contains('"');
    let open = before.rfind(['“', '«', '„']);
    let close = before.rfind(['”', '»']);
    let curly = match (open, close) {
        (Some(o), Some(c)) => o > c,
        (Some(_), None) => true,
        _ => false,
    } && after.contains(['”', '»', '“']);
    straight || curly
}

fn has_marker(s: &str, markers: &[&str]) -> bool {
    let lower = s.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    markers.iter().any(|m| {
        if m.contains(' ') || !m.chars().all(char::is_alphanumeric) {
            lower.contains(m)
        } else {
            words
                .iter()
                .any(|w| w.trim_matches(|c: char| !c.is_alphanumeric()) == *m)
        }
    })
}

/// Whether the match `toks[i..end]` for `reason` is a mention in passing
/// rather than a request or threat (see the module docs).
fn innocent(reason: Reason, text: &str, toks: &[Tok], i: usize, end: usize) -> bool {
    let (start_b, end_b) = (toks[i].start, toks[end - 1].end);
    if reason != Reason::Refund && quoted(text, start_b, end_b) {
        return true;
    }
    let (lead, rest) = sentence(text, start_b, end_b);
    // "Someone get me a manager 😂 — seriously though, …"
    if has_marker(rest, JOKES) {
        return true;
    }
    if matches!(reason, Reason::Legal | Reason::HumanRequest)
        && (has_marker(lead, HYPOTHETICAL) || has_marker(rest, HYPOTHETICAL))
    {
        return true;
    }
    // The customer's own job: "I'm a supervisor at a summer camp", "as a lawyer".
    let me = |k: usize| matches!(toks[k].norm.as_str(), "i'm" | "im" | "am" | "as");
    let article = |k: usize| matches!(toks[k].norm.as_str(), "a" | "an");
    let acting = toks
        .iter()
        .skip(end)
        .take(5)
        .any(|t| ACTING.contains(&t.norm.as_str()));
    let person = (i..end).any(|k| {
        is_lawyer(&toks[k].norm)
            || matches!(
                toks[k].norm.as_str(),
                "manager" | "supervisor" | "agent" | "representative" | "rep" | "operator"
            )
    });
    if person
        && !acting
        && ((i >= 1 && article(i) && me(i - 1)) || (i >= 2 && article(i - 1) && me(i - 2)))
    {
        return true;
    }
    // "Nope, no refund, I'm keeping it" (but "still no refund" is a demand).
    if reason == Reason::Refund && i >= 1 && matches!(toks[i - 1].norm.as_str(), "no" | "nope") {
        let clause_ends = toks
            .get(end)
            .is_none_or(|t| t.clause != toks[end - 1].clause);
        let complaint = i >= 2
            && matches!(
                toks[i - 2].norm.as_str(),
                "still" | "yet" | "and" | "got" | "received" | "but" | "had" | "have" | "with"
            );
        if clause_ends && !complaint {
            return true;
        }
    }
    if reason != Reason::Legal {
        return false;
    }
    // A plain negation shortly before, with only connecting words between.
    let clause = toks[i].clause;
    let mut j = i;
    while j > 0 && i - j < 4 {
        j -= 1;
        let t = &toks[j];
        if t.clause != clause {
            break;
        }
        if LEGAL_NEGATORS.contains(&t.norm.as_str()) {
            return true;
        }
        if !LEGAL_NEGATION_GAP.contains(&t.norm.as_str()) && !is_lawyer(&t.norm) {
            break;
        }
    }
    // A lawyer who is a friend, a relative, the customer's job, or who
    // recommended the shop.
    if !acting && (i..end).any(|k| is_lawyer(&toks[k].norm)) {
        let next = toks.get(end).map(|t| t.norm.as_str());
        if next.is_some_and(|n| RELATIONS.contains(&n) || n == "who" || n == "whose") {
            return true;
        }
        let before: Vec<&str> = toks[i.saturating_sub(6)..i]
            .iter()
            .map(|t| t.norm.as_str())
            .collect();
        // "my sister is a lawyer", "a friend, who's an attorney".
        let filler = [
            "a", "an", "is", "was", "who's", "whos", "who", "also", "actually", "the", "family",
            "of", "mine", "retired", "in", "my", "our",
        ];
        if before
            .iter()
            .rev()
            .find(|w| !filler.contains(w))
            .is_some_and(|w| RELATIONS.contains(w))
        {
            return true;
        }
        if let [.., a, b] = before.as_slice() {
            if matches!((*a, *b), ("i'm" | "am" | "as" | "im", "a" | "an")) {
                return true;
            }
        }
        if toks
            .iter()
            .skip(end)
            .take(6)
            .take_while(|t| t.clause == toks[end - 1].clause)
            .any(|t| PRAISE.contains(&t.norm.as_str()))
        {
            return true;
        }
    }
    false
}

fn priority_index(r: Reason) -> usize {
    match r {
        Reason::Legal => 0,
        Reason::Refund => 1,
        Reason::Pricing => 2,
        Reason::HumanRequest => 3,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::Reason::{HumanRequest, Legal, Pricing, Refund};
    use super::*;

    fn reasons(text: &str) -> Vec<Reason> {
        check(text).into_iter().map(|t| t.reason).collect()
    }

    #[test]
    fn table_of_cases() {
        let cases: &[(&str, &[Reason])] = &[
            // From the brief.
            ("I want to return my boots", &[]),
            ("how do I track my order", &[]),
            ("my lawyer", &[Legal]),
            ("I want my money back!!", &[Refund]),
            ("what's the price of the Alpine tent", &[Pricing]),
            ("can I talk to a real person", &[HumanRequest]),
            ("I'll sue you and want a refund", &[Legal, Refund]),
            // Negation.
            ("I don't want a refund, just an exchange", &[]),
            ("No need for a refund, a replacement is fine", &[]),
            ("I'd like an exchange instead of a refund", &[]),
            ("I'm not asking for a discount, just the size chart", &[]),
            ("I don't want to wait, I want a refund", &[Refund]),
            ("I don't want store credit, refund please", &[Refund]),
            ("Why have I not received my refund yet?", &[Refund]),
            (
                "I don't want a replacement but I do want a refund",
                &[Refund],
            ),
            ("I don't want to get my lawyer involved", &[Legal]),
            // Legal words in passing (issue 20): negated, a third party or a
            // job, quoted, hypothetical, a joke.
            (
                "I'm not taking legal action, I just want to know where my parcel is",
                &[],
            ),
            ("Not suing anyone, relax. Where is my order?", &[]),
            (
                "No lawyers involved, promise: how do I reset my password?",
                &[],
            ),
            (
                "A lawyer friend recommended your shop. Which bag for -5°C?",
                &[],
            ),
            ("A lawyer recommended you to me", &[]),
            ("My sister is a lawyer and she loves your boots", &[]),
            (
                "As a lawyer I spend all day indoors; which tent is easiest to pitch?",
                &[],
            ),
            ("Is the \"Attorney\" jacket waterproof?", &[]),
            ("Is the “Court” trail shoe waterproof?", &[]),
            (
                "Hypothetically, if a tent pole injured someone, who is liable?",
                &[],
            ),
            ("I'll sue you lol, just tell me where my parcel is", &[]),
            ("I will not hesitate to sue", &[Legal]),
            (
                "I don't want to involve my lawyer, but I will if I must",
                &[Legal],
            ),
            ("I told my brother I'd get a lawyer", &[Legal]),
            (
                "A friend of mine who's a lawyer asked me to find out if you make hammocks",
                &[],
            ),
            (
                "I'm a supervisor at a summer camp; do rental tents need drying?",
                &[],
            ),
            ("Nope, no refund, I'm keeping the tent!", &[]),
            ("Still no refund, three weeks later", &[Refund]),
            (
                "It's not a pricing question: do you deliver to Norway?",
                &[],
            ),
            ("Don't transfer me to an agent, just tell me the hours", &[]),
            (
                "I don't need a person for this, where is the unsubscribe link?",
                &[],
            ),
            (
                "Someone get me a manager 😂 how tight should the fly be?",
                &[],
            ),
            ("Does unsubscribing stop the promo emails too?", &[]),
            // German, French, Spanish.
            ("Ich werde meinen Anwalt einschalten.", &[Legal]),
            ("Je veux être remboursé.", &[Refund]),
            ("Combien de temps prend la livraison ?", &[]),
            ("Combien coûte la livraison en Belgique ?", &[Pricing]),
            ("Quiero hablar con una persona, por favor", &[HumanRequest]),
            ("¿Cuánto tiempo tarda el envío?", &[]),
            ("Wo ist mein Paket?", &[]),
            (
                "I'm an attorney representing one of your customers",
                &[Legal],
            ),
            (
                "My lawyer friend says what you are doing is illegal",
                &[Legal],
            ),
            ("Selling this is against the law", &[Legal]),
            ("Your support team told me to check the tracking page", &[]),
            ("My phone number changed, how do I update it?", &[]),
            ("What is your phone number?", &[HumanRequest]),
            // Legal.
            ("I will take you to court over this", &[Legal]),
            ("I'm going to sue", &[Legal]),
            ("My attorney will be in touch", &[Legal]),
            ("This is a GDPR data subject request", &[Legal]),
            ("Please treat this as a subject access request", &[Legal]),
            ("I've contacted Trading Standards", &[Legal]),
            ("Consider this a cease and desist", &[Legal]),
            ("You are liable for the damage to my car", &[Legal]),
            ("I'll file in small claims", &[Legal]),
            ("Sue from accounts asked me to write to you", &[]),
            ("We played on the tennis court all day", &[]),
            ("Do you sell basketball court shoes?", &[]),
            // Refund.
            ("Is the jacket refundable?", &[Refund]),
            ("I'm going to file a chargeback", &[Refund]),
            ("Can you reimburse the return postage?", &[Refund]),
            ("I will dispute the charge with my bank", &[Refund]),
            ("I expect compensation for the delay", &[Refund]),
            ("Please cancel and refund my order", &[Refund]),
            // Pricing.
            ("How much is shipping to Canada?", &[Pricing]),
            ("how much longer will shipping take?", &[]),
            ("How much does the 2-person tent weigh?", &[]),
            ("I won't be needing a refund after all", &[]),
            (
                "How much is the tent, and will it fit in my car?",
                &[Pricing],
            ),
            ("What does the 3-person tent cost?", &[Pricing]),
            ("Do you have a promo code?", &[Pricing]),
            ("Is it cheaper to buy the bundle?", &[Pricing]),
            ("Do you price match?", &[Pricing]),
            ("Is there a restocking fee?", &[Pricing]),
            ("We must finish at all costs", &[]),
            // Human.
            ("TALK TO A HUMAN!!!", &[HumanRequest]),
            (
                "I need to speak to someone about my account",
                &[HumanRequest],
            ),
            ("Let me speak to the manager", &[HumanRequest]),
            ("Are you a bot?", &[HumanRequest]),
            ("is this automated", &[HumanRequest]),
            ("agent please", &[HumanRequest]),
            ("Can I get a live agent", &[HumanRequest]),
            ("get me a human", &[HumanRequest]),
            ("Stop. I want a person!", &[HumanRequest]),
            (
                "Could you escalate this to your supervisor?",
                &[HumanRequest],
            ),
            ("I talked to an agent yesterday about the zip", &[]),
            ("The tour operator cancelled our trip", &[]),
            // Plain support questions.
            ("Where is my package?", &[]),
            ("The zipper broke, can you send a replacement?", &[]),
            ("Can I change the size of my order?", &[]),
            ("I need help with my password", &[]),
            // Several at once, reported in priority order.
            (
                "What are the shipping fees, and can I get a refund if it doesn't fit? \
                 Otherwise I'll talk to my attorney.",
                &[Legal, Refund, Pricing],
            ),
            ("Give me a human or my money back", &[Refund, HumanRequest]),
        ];
        assert!(cases.len() >= 40);
        for (text, expected) in cases {
            assert_eq!(reasons(text), expected.to_vec(), "{text}");
        }
    }

    #[test]
    fn matched_is_verbatim_input() {
        let t = check("Hello — can I TALK to a... Human, please?");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].reason, HumanRequest);
        assert_eq!(t[0].matched, "TALK to a... Human");

        let t = check("I want my Money Back!!");
        assert_eq!(t[0].matched, "Money Back");

        let t = check("I’ll sue you");
        assert_eq!(t[0].matched, "I’ll sue");
    }

    #[test]
    fn first_non_negated_occurrence_is_reported() {
        let t = check("I don't want a refund. Actually yes, refunds are what I need");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].matched, "refunds");
    }

    #[test]
    fn each_reason_once() {
        let t = check("refund refund REFUND, money back, reimburse me");
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].matched, "refund");
    }

    #[test]
    fn codes_and_labels() {
        assert_eq!(Pricing.code(), "pricing");
        assert_eq!(Refund.code(), "refund");
        assert_eq!(Legal.code(), "legal");
        assert_eq!(HumanRequest.code(), "human_request");
        assert_eq!(Pricing.label(), "Pricing question");
        for r in Reason::PRIORITY {
            assert!(!r.label().is_empty());
            assert_eq!(Reason::PRIORITY[priority_index(r)], r);
        }
    }

    #[test]
    fn empty_and_punctuation_only_input() {
        assert!(check("").is_empty());
        assert!(check("?!... ,,").is_empty());
    }
}
