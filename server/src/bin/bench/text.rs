//! Deterministic, varied English for generated customers, subjects and messages.
//!
//! Word frequencies are skewed on purpose so full-text search has every kind of
//! term: very common ones ("order", "thanks"), topic words in a few percent of the
//! messages ("refund", "invoice"), product names in about one percent, rare words
//! in a few hundred messages ("xylophone") and unique tokens (order numbers).

use rand::rngs::StdRng;
use rand::Rng;

/// Search terms for the benchmark, from common to rare (see the module comment).
pub const SEARCH_WORDS: &[&str] = &[
    "order",
    "thanks",
    "refund",
    "invoice",
    "espresso",
    "tracking",
    "warranty",
    "xylophone",
    "marmalade",
    "refund espresso",
];

pub const FIRST_NAMES: &[&str] = &[
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Oliver",
    "Sophia",
    "Elijah",
    "Isabella",
    "James",
    "Mia",
    "William",
    "Amelia",
    "Benjamin",
    "Harper",
    "Lucas",
    "Evelyn",
    "Henry",
    "Abigail",
    "Theodore",
    "Emily",
    "Jack",
    "Ella",
    "Levi",
    "Elizabeth",
    "Alexander",
    "Camila",
    "Jackson",
    "Luna",
    "Mateo",
    "Sofia",
    "Daniel",
    "Avery",
    "Michael",
    "Mila",
    "Mason",
    "Aria",
    "Sebastian",
    "Scarlett",
    "Ethan",
    "Penelope",
    "Logan",
    "Layla",
    "Owen",
    "Chloe",
    "Samuel",
    "Victoria",
    "Jacob",
    "Madison",
    "Asher",
    "Eleanor",
    "Aiden",
    "Grace",
    "John",
    "Nora",
    "Joseph",
    "Riley",
    "Wyatt",
    "Zoey",
    "David",
    "Hannah",
    "Leo",
    "Hazel",
    "Luke",
    "Lily",
    "Julian",
    "Ellie",
    "Hudson",
    "Violet",
    "Grayson",
    "Lillian",
    "Matthew",
    "Zoe",
    "Ezra",
    "Stella",
    "Gabriel",
    "Aurora",
    "Carter",
    "Natalie",
    "Isaac",
    "Emilia",
    "Jayden",
    "Everly",
    "Luca",
    "Leah",
    "Anthony",
    "Aubrey",
    "Dylan",
    "Willow",
    "Lincoln",
    "Addison",
    "Thomas",
    "Lucy",
    "Maverick",
    "Audrey",
    "Elias",
    "Bella",
    "Josiah",
    "Nova",
    "Charles",
    "Brooklyn",
    "Caleb",
    "Paisley",
    "Christopher",
    "Savannah",
    "Ezekiel",
    "Claire",
    "Miles",
    "Skylar",
    "Jaxon",
    "Isla",
    "Isaiah",
    "Genesis",
    "Andrew",
    "Naomi",
    "Joshua",
    "Elena",
    "Nathan",
    "Caroline",
    "Nolan",
    "Eliana",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
    "Parker",
    "Cruz",
    "Edwards",
    "Collins",
    "Reyes",
    "Stewart",
    "Morris",
    "Morales",
    "Murphy",
    "Cook",
    "Rogers",
    "Gutierrez",
    "Ortiz",
    "Morgan",
    "Cooper",
    "Peterson",
    "Bailey",
    "Reed",
    "Kelly",
    "Howard",
    "Ramos",
    "Kim",
    "Cox",
    "Ward",
    "Richardson",
    "Watson",
    "Brooks",
    "Chavez",
    "Wood",
    "James",
    "Bennett",
    "Gray",
    "Mendoza",
    "Ruiz",
    "Hughes",
    "Price",
    "Alvarez",
    "Castillo",
    "Sanders",
    "Patel",
    "Myers",
    "Long",
    "Ross",
    "Foster",
    "Jimenez",
    "Kowalski",
    "Novak",
    "Schmidt",
    "Fischer",
    "Weber",
    "Dubois",
    "Rossi",
    "Bianchi",
    "Silva",
];

pub const DOMAINS: &[&str] = &[
    "example.com",
    "mail.example.org",
    "inbox.example.net",
    "post.example.io",
    "example.co.uk",
    "home.example.de",
    "example.fr",
    "corp.example.com",
];

pub const COMPANIES: &[&str] = &[
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Retail",
    "Hooli",
    "Vandelay Industries",
    "Stark Supplies",
    "Wayne Outfitters",
    "Wonka Foods",
    "Soylent Kitchens",
    "Tyrell Design",
    "Cyberdyne Labs",
    "Oscorp Home",
    "Massive Dynamic",
    "Gringotts Travel",
    "Monarch Studio",
    "Blue Sun Market",
    "Aperture Goods",
    "Black Mesa Tools",
    "Prestige Worldwide",
];

/// Products mentioned in messages (each in roughly 1 % of them).
const PRODUCTS: &[&str] = &[
    "espresso machine",
    "grinder",
    "kettle",
    "toaster",
    "blender",
    "rice cooker",
    "standing desk",
    "office chair",
    "monitor arm",
    "desk lamp",
    "bookshelf",
    "sofa",
    "mattress",
    "duvet",
    "pillow",
    "rain jacket",
    "hiking boots",
    "backpack",
    "tent",
    "sleeping bag",
    "headphones",
    "speaker",
    "turntable",
    "keyboard",
    "mouse",
    "webcam",
    "router",
    "smartwatch",
    "fitness tracker",
    "yoga mat",
    "dumbbells",
    "bicycle helmet",
    "water bottle",
    "lunch box",
    "frying pan",
    "dutch oven",
    "knife set",
    "cutting board",
    "coffee beans",
    "tea sampler",
    "gift card",
    "phone case",
    "charger",
    "power bank",
    "camera bag",
    "tripod",
    "drone",
    "vacuum cleaner",
    "air purifier",
    "humidifier",
];

const COLOURS: &[&str] = &[
    "black", "white", "navy", "olive", "charcoal", "sand", "red", "teal", "silver", "copper",
];

const CITIES: &[&str] = &[
    "Berlin",
    "Lisbon",
    "Toronto",
    "Chicago",
    "Austin",
    "Dublin",
    "Madrid",
    "Oslo",
    "Denver",
    "Seattle",
    "Leeds",
    "Lyon",
    "Porto",
    "Vienna",
    "Zurich",
    "Boston",
    "Portland",
    "Melbourne",
];

const CARRIERS: &[&str] = &["UPS", "DHL", "FedEx", "USPS", "Royal Mail", "DPD", "GLS"];

/// Rare words: each appears in a few hundred messages at the full scale.
const RARE: &[&str] = &[
    "xylophone",
    "marmalade",
    "quixotic",
    "zeppelin",
    "kumquat",
    "platypus",
    "gazebo",
    "saxophone",
    "origami",
    "trampoline",
    "harpsichord",
    "flamingo",
];

/// A conversation's topic: its subject lines and what customers and agents say.
struct Topic {
    subjects: &'static [&'static str],
    customer: &'static [&'static str],
    agent: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        subjects: &[
            "Where is my order #{order}?",
            "Order #{order} has not arrived",
            "Delivery delayed for my {product}",
            "Tracking number not working",
            "Package stuck in {city}",
        ],
        customer: &[
            "I ordered a {colour} {product} on {day} and it still has not arrived.",
            "The tracking page for order #{order} has not changed in {n} days.",
            "The {carrier} tracking number {tracking} says the package is in {city}.",
            "Could you tell me when my order will be delivered?",
            "I need the {product} before the weekend, is express shipping possible?",
            "The courier left a note but nobody came to the door.",
        ],
        agent: &[
            "I checked order #{order} and the parcel is with {carrier}, tracking number {tracking}.",
            "The delivery was delayed at the {city} depot; it should reach you within {n} business days.",
            "I have asked {carrier} to open an investigation and will update you as soon as I hear back.",
            "If the parcel does not arrive by {day} we will send a replacement at no cost.",
        ],
    },
    Topic {
        subjects: &[
            "Refund request for order #{order}",
            "Still waiting for my refund",
            "Return and refund for {product}",
            "Please cancel and refund",
        ],
        customer: &[
            "I returned the {product} {n} weeks ago and I am still waiting for the refund.",
            "Please cancel order #{order} and refund the full amount to my card.",
            "The refund shows as pending in my bank account, how long does it take?",
            "I would like a refund because the {product} is not what I expected.",
            "Can I get store credit instead of a refund?",
        ],
        agent: &[
            "I have issued a refund of {amount} for order #{order}; it usually takes {n} business days to appear.",
            "Your return was received at our {city} warehouse and the refund has been approved.",
            "I am sorry for the wait, I escalated the refund to our billing team today.",
            "Refunds go back to the original payment method; you will receive an email confirmation.",
        ],
    },
    Topic {
        subjects: &[
            "Invoice for order #{order}",
            "Wrong VAT on my invoice",
            "Billing question",
            "Charged twice for one order",
            "Need a company invoice",
        ],
        customer: &[
            "Could you send me an invoice with our company name for order #{order}?",
            "I was charged twice, {amount} each time, for the same order.",
            "The invoice is missing our VAT number, please correct it.",
            "Our accounting team needs a copy of the invoice for the {product}.",
            "Why was my card charged {amount} when the total was lower?",
        ],
        agent: &[
            "I attached a corrected invoice for order #{order} with your VAT number.",
            "I can see the duplicate charge of {amount}; the second payment has been voided.",
            "Invoices are available under Orders in your account; I have also emailed a copy.",
            "Our billing team confirmed the charge and the difference will be refunded.",
        ],
    },
    Topic {
        subjects: &[
            "Cannot log in to my account",
            "Password reset email never arrives",
            "Change the email on my account",
            "Delete my account",
            "Two-factor code not accepted",
        ],
        customer: &[
            "I cannot log in, the page says my password is wrong although I just reset it.",
            "The password reset email never arrives, I checked the spam folder too.",
            "Please change the email address on my account to my new address.",
            "I would like my account and personal data deleted.",
            "The two-factor code from my phone is not accepted.",
        ],
        agent: &[
            "I sent a new password reset link; it is valid for one hour.",
            "I updated the email address on your account, please confirm with the link we sent.",
            "Your account deletion request is scheduled and will complete within {n} days.",
            "Please check that the time on your phone is set automatically, then try the code again.",
        ],
    },
    Topic {
        subjects: &[
            "{product} stopped working",
            "Broken {product} on arrival",
            "Warranty claim for {product}",
            "Defective {product}",
            "Replacement part for {product}",
        ],
        customer: &[
            "My {colour} {product} stopped working after {n} weeks.",
            "The {product} arrived broken, the box was damaged too.",
            "Is the {product} still under warranty? I bought it in {city}.",
            "There is a strange noise when I switch on the {product}.",
            "I attached photos of the damage to the {product}.",
        ],
        agent: &[
            "I am sorry the {product} arrived damaged; a replacement is on its way, order #{order}.",
            "The {product} has a two-year warranty, so the repair is free of charge.",
            "Could you try a factory reset? Hold the power button for ten seconds.",
            "Please send the serial number from the bottom of the {product} and a photo of the fault.",
        ],
    },
    Topic {
        subjects: &[
            "Exchange {product} for another size",
            "Wrong colour delivered",
            "Wrong item in my package",
            "Missing item from order #{order}",
        ],
        customer: &[
            "I received a {colour} {product} but I ordered a different colour.",
            "One item is missing from order #{order}, the packing slip lists it.",
            "Can I exchange the {product} for a bigger size?",
            "The package contained someone else's order.",
        ],
        agent: &[
            "I created a free exchange for the {product}; the return label is attached.",
            "The missing item was shipped separately with {carrier}, tracking number {tracking}.",
            "Please keep the wrong item, we have sent the correct {product} today.",
        ],
    },
    Topic {
        subjects: &[
            "Subscription renewal question",
            "Cancel my subscription",
            "Upgrade my plan",
            "Pause my coffee subscription",
        ],
        customer: &[
            "My subscription renewed yesterday but I wanted to cancel it.",
            "How do I upgrade to the annual plan?",
            "Please pause my subscription for {n} weeks while I am travelling.",
            "The {product} subscription box did not arrive this month.",
        ],
        agent: &[
            "I cancelled the renewal and refunded {amount}; you keep access until the end of the period.",
            "Your subscription is paused and will resume automatically on {day}.",
            "I upgraded your plan; the price difference was prorated.",
        ],
    },
    Topic {
        subjects: &[
            "Question about {product}",
            "Is the {product} compatible?",
            "Feedback on your service",
            "Bulk order for our office",
        ],
        customer: &[
            "Does the {product} work with the {colour} model from last year?",
            "We want to order {n} units of the {product} for our office in {city}.",
            "Just wanted to say the support team was very helpful last time.",
            "Is there a discount for ordering more than {n} items?",
        ],
        agent: &[
            "Yes, the {product} is compatible with every model since last year.",
            "For bulk orders we offer a discount; I have forwarded your request to our sales team.",
            "Thank you for the kind words, I will pass them on to the team.",
        ],
    },
];

const GREETINGS_CUSTOMER: &[&str] = &[
    "Hi,",
    "Hello,",
    "Hi there,",
    "Good morning,",
    "Dear support team,",
];
const GREETINGS_AGENT: &[&str] = &[
    "Hi {name},",
    "Hello {name},",
    "Dear {name},",
    "Hi {name}, thanks for reaching out.",
];
const CLOSINGS_CUSTOMER: &[&str] = &[
    "Thanks, {name}",
    "Thank you! {name}",
    "Best regards, {name}",
    "Cheers, {name}",
    "Kind regards, {name}",
];
const CLOSINGS_AGENT: &[&str] = &[
    "Best regards, {agent}",
    "Thanks for your patience. {agent}",
    "Let me know if there is anything else I can do. {agent}",
    "Have a great day! {agent}",
];
const NOTES: &[&str] = &[
    "Customer has contacted us {n} times about order #{order}, consider a goodwill voucher.",
    "Checked with the warehouse in {city}: the {product} is back in stock on {day}.",
    "Escalated to billing, waiting for confirmation of the {amount} refund.",
    "Possible fraud pattern, do not ship replacements before verification.",
    "VIP customer, please reply within one hour.",
    "{carrier} claim opened, reference {tracking}.",
];
const DAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn pick<'a>(rng: &mut StdRng, xs: &'a [&'a str]) -> &'a str {
    xs[rng.gen_range(0..xs.len())]
}

/// Who speaks in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Voice {
    Customer,
    Agent,
    Note,
}

/// Fills a template's slots.
fn fill(rng: &mut StdRng, template: &str, ctx: &Ctx<'_>, out: &mut String) {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return;
        };
        match &after[..end] {
            "order" => out.push_str(&ctx.order.to_string()),
            "product" => out.push_str(ctx.product),
            "colour" => out.push_str(pick(rng, COLOURS)),
            "city" => out.push_str(pick(rng, CITIES)),
            "carrier" => out.push_str(pick(rng, CARRIERS)),
            "day" => out.push_str(pick(rng, DAYS)),
            "n" => out.push_str(&rng.gen_range(2..15).to_string()),
            "amount" => {
                let cents: u32 = rng.gen_range(500..50_000);
                out.push_str(&format!("${}.{:02}", cents / 100, cents % 100));
            }
            "tracking" => out.push_str(&format!("1Z{:010X}", rng.gen::<u64>() & 0xff_ffff_ffff)),
            "name" => out.push_str(ctx.customer_first),
            "agent" => out.push_str(ctx.agent_first),
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
}

/// What a conversation's texts have in common.
pub struct Ctx<'a> {
    topic: usize,
    order: u32,
    product: &'static str,
    pub customer_first: &'a str,
    pub agent_first: &'a str,
}

impl<'a> Ctx<'a> {
    /// A new conversation's context (topic, order number, product).
    pub fn new(rng: &mut StdRng, customer_first: &'a str, agent_first: &'a str) -> Self {
        Self {
            topic: rng.gen_range(0..TOPICS.len()),
            order: rng.gen_range(100_000..1_000_000),
            product: pick(rng, PRODUCTS),
            customer_first,
            agent_first,
        }
    }

    /// The conversation's subject.
    pub fn subject(&self, rng: &mut StdRng) -> String {
        let mut s = String::with_capacity(64);
        let t = pick(rng, TOPICS[self.topic].subjects);
        fill(rng, t, self, &mut s);
        if let Some(first) = s.get(..1) {
            let upper = first.to_uppercase();
            s.replace_range(..1, &upper);
        }
        s
    }

    /// A message body: greeting, two to four sentences, closing; sometimes a rare word.
    pub fn message(&self, rng: &mut StdRng, voice: Voice) -> String {
        let topic = &TOPICS[self.topic];
        let mut out = String::with_capacity(400);
        let (greetings, lines, closings): (&[&str], &[&str], &[&str]) = match voice {
            Voice::Customer => (GREETINGS_CUSTOMER, topic.customer, CLOSINGS_CUSTOMER),
            Voice::Agent => (GREETINGS_AGENT, topic.agent, CLOSINGS_AGENT),
            Voice::Note => (&[], NOTES, &[]),
        };
        if !greetings.is_empty() && rng.gen_bool(0.7) {
            let t = pick(rng, greetings);
            fill(rng, t, self, &mut out);
            out.push_str("\n\n");
        }
        let n = if voice == Voice::Note {
            1
        } else {
            rng.gen_range(2..=4)
        };
        // Distinct sentences, in a random order.
        let mut chosen: Vec<&str> = Vec::with_capacity(n);
        while chosen.len() < n.min(lines.len()) {
            let t = pick(rng, lines);
            if !chosen.contains(&t) {
                chosen.push(t);
            }
        }
        for (i, t) in chosen.into_iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            fill(rng, t, self, &mut out);
        }
        if rng.gen_ratio(1, 2000) {
            out.push_str(" P.S. the ");
            out.push_str(pick(rng, RARE));
            out.push_str(" sticker on the box made me smile.");
        }
        if !closings.is_empty() && rng.gen_bool(0.8) {
            out.push_str("\n\n");
            let t = pick(rng, closings);
            fill(rng, t, self, &mut out);
        }
        out
    }
}
