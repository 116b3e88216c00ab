// The names name-substitution knows. Chosen so that a match is almost surely a name: words that
// are also ordinary English words (May, Will, Mark, Rose, Miles, Penny, Turkey), names that are
// also places (Austin, Georgia, Jordan, Charlotte, Paris, Victoria, Houston) and places that are
// also common words (Phoenix, Mobile, Nice, Reading) are left out of every list. Surnames are
// only recognised after a title (Mr., Mrs., Dr., Grandma, Farmer, ...); this list gives their
// replacements.
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>

#include "suites/perturb/perturb_internal.h"

namespace gapbench::suites::perturb {
namespace {

constexpr std::string_view kFemale[] = {
    "Abigail",  "Ada",       "Adriana",   "Agnes",      "Aisha",      "Alice",    "Alicia",
    "Alina",    "Amanda",    "Amelia",    "Amy",        "Ana",        "Andrea",   "Angela",
    "Anita",    "Ann",       "Anna",      "Anne",       "Annie",      "Beatrice", "Bella",
    "Bethany",  "Betty",     "Beverly",   "Brenda",     "Brianna",    "Bridget",  "Camila",
    "Carla",    "Carmen",    "Caroline",  "Cassandra",  "Catherine",  "Cecilia",  "Chloe",
    "Cindy",    "Claire",    "Clara",     "Claudia",    "Cynthia",    "Daniela",  "Deborah",
    "Debra",    "Denise",    "Diana",     "Donna",      "Dorothy",    "Elaine",   "Eleanor",
    "Elena",    "Elisa",     "Eliza",     "Elizabeth",  "Ella",       "Ellen",    "Emily",
    "Emma",     "Erica",     "Erin",      "Esther",     "Eva",        "Evelyn",   "Fatima",
    "Fiona",    "Gabriela",  "Gina",      "Gloria",     "Hannah",     "Harriet",  "Heather",
    "Helen",    "Helena",    "Ingrid",    "Irene",      "Isabel",     "Isabella", "Jane",
    "Janet",    "Janice",    "Jasmine",   "Jenna",      "Jennifer",   "Jenny",    "Jessica",
    "Jill",     "Joan",      "Joanna",    "Josephine",  "Judith",     "Judy",     "Julia",
    "Julie",    "Karen",     "Katherine", "Kathy",      "Katie",      "Kayla",    "Kelly",
    "Kimberly", "Laura",     "Lauren",    "Leah",       "Lena",       "Linda",    "Lisa",
    "Lucy",     "Luisa",     "Lydia",     "Madeline",   "Maria",      "Marie",    "Marissa",
    "Martha",   "Mary",      "Maya",      "Megan",      "Melissa",    "Mia",      "Michelle",
    "Monica",   "Nadia",     "Nancy",     "Naomi",      "Natalie",    "Nina",     "Nora",
    "Olivia",   "Pamela",    "Paula",     "Priya",      "Rachel",     "Rebecca",  "Rita",
    "Rosa",     "Ruth",      "Samantha",  "Sandra",     "Sara",       "Sarah",    "Sharon",
    "Sofia",    "Sophia",    "Stephanie", "Susan",      "Tanya",      "Teresa",   "Tina",
    "Tracy",    "Valerie",   "Vanessa",   "Vera",       "Wendy",      "Yolanda",  "Zoe",
    "Zara",     "Brooke",    "Gianna",    "Jocelyn",    "Kylie",      "Lila",     "Mariah",
    "Nicole",   "Paige",     "Tamara",    "Yasmin",     "Sally",      "Melanie",  "Ashley",
    "Jen",      "Marcy",     "Brittany",  "Carly",      "Greta",      "Gretchen", "Shiela",
    "Marilyn",  "Christina", "Rani",      "Lori",       "Elise",      "Shannon",  "Dora",
    "Leila",    "Jana",      "Suzanne",   "Kate",       "Maggie",     "Carrie",   "Wendi",
    "Toula",    "Polly",     "Meredith",  "Candice",    "Aleena",     "Sylvie",   "Freda",
    "Poppy",    "Katy",      "Lylah",     "Sadie",      "Rosie",      "Jennie",   "Nissa",
    "Pam",      "Shawnda",   "Elvira",    "Ethel",      "Sarai",      "Mandy",    "Violetta",
    "Josie",    "Janeth",    "Celine",    "Kalinda",    "Ashlyn",     "Dolly",    "Isabelle",
    "Maddison", "Terri",     "Maddy",     "Katerina",   "Margot",     "Alani",    "Izzy",
    "Annika",   "Johanna",   "Meg",       "Annabelle",  "Marisa",     "Hallie",   "Lindsay",
    "Millie",   "Carolyn",   "Lillian",   "Aleksandra", "Bernadette", "Rozanne",  "Katelyn",
    "Shondra",  "Belen",     "Tashay",    "Tasha",      "Jillian",    "Brianne",  "Cherrie",
    "Suzie",    "Tara",      "Kelsie",    "Verna",      "Antonella",  "Katina",   "Diane",
    "Beth",     "Becky",     "Lucia",     "Miranda",    "Nadine",     "Penelope", "Renee",
    "Sabrina",  "Stella",    "Tiffany",   "Trisha",     "Veronica",   "Yvonne",
};

constexpr std::string_view kMale[] = {
    "Aaron",     "Adam",      "Adrian",   "Ahmed",    "Alan",        "Albert",  "Alberto",
    "Alexander", "Alfred",    "Andre",    "Andrew",   "Anthony",     "Antonio", "Arthur",
    "Ben",       "Benjamin",  "Bernard",  "Brandon",  "Brian",       "Bruce",   "Bryan",
    "Caleb",     "Carl",      "Carlos",   "Charles",  "Christopher", "Colin",   "Connor",
    "Craig",     "Daniel",    "David",    "Dennis",   "Derek",       "Diego",   "Dominic",
    "Douglas",   "Dylan",     "Edgar",    "Edward",   "Eli",         "Elijah",  "Eric",
    "Ethan",     "Eugene",    "Felix",    "Fernando", "Gabriel",     "Gary",    "George",
    "Gerald",    "Gordon",    "Gregory",  "Harold",   "Henry",       "Hugo",    "Ian",
    "Isaac",     "Ivan",      "Jacob",    "Jake",     "James",       "Jason",   "Javier",
    "Jeffrey",   "Jeremy",    "Jerry",    "Jim",      "Joe",         "Joel",    "John",
    "Jonathan",  "Jorge",     "Joseph",   "Joshua",   "Juan",        "Julian",  "Justin",
    "Keith",     "Kenneth",   "Kevin",    "Kyle",     "Larry",       "Leo",     "Leon",
    "Leonard",   "Liam",      "Logan",    "Louis",    "Lucas",       "Luis",    "Luke",
    "Marcus",    "Mario",     "Martin",   "Matthew",  "Michael",     "Miguel",  "Mike",
    "Mohammed",  "Nathan",    "Neil",     "Nicholas", "Noah",        "Oliver",  "Omar",
    "Oscar",     "Owen",      "Patrick",  "Paul",     "Pedro",       "Peter",   "Philip",
    "Rafael",    "Ralph",     "Raymond",  "Ricardo",  "Richard",     "Robert",  "Roger",
    "Ronald",    "Ryan",      "Samuel",   "Scott",    "Sean",        "Sergio",  "Simon",
    "Stephen",   "Steven",    "Stuart",   "Theodore", "Thomas",      "Timothy", "Tom",
    "Tony",      "Trevor",    "Tyler",    "Victor",   "Vincent",     "Walter",  "William",
    "Xavier",    "Zachary",   "Tim",      "Greg",     "Steve",       "Dave",    "Tobias",
    "Marco",     "Hector",    "Rohan",    "Josh",     "Billy",       "Andy",    "Johnny",
    "Joey",      "Jeff",      "Colby",    "Lloyd",    "Ted",         "Fred",    "Brady",
    "Tyson",     "Frederick", "Benny",    "Elvis",    "Aiden",       "Bobby",   "Boris",
    "Nate",      "Ronnie",    "Darrell",  "Gunter",   "Uriah",       "Tommy",   "Artie",
    "Dan",       "Harald",    "Jerome",   "Cody",     "Amir",        "Jamal",   "Adrien",
    "Kael",      "Dillon",    "Walt",     "Kimo",     "Raphael",     "Finn",    "Jimmy",
    "Pancho",    "Zaid",      "Benedict", "Micheal",  "Dax",         "Travis",  "Rick",
    "Ferdinand", "Harry",     "Braylen",  "Darren",   "Solomon",     "Eddy",    "Karan",
    "Allan",     "Elliott",   "Toby",     "Kenny",    "Antoine",     "Royce",   "Errol",
    "Brad",      "Sahir",     "Pete",     "Jared",    "Grayson",     "Theo",    "Matt",
    "Keegan",    "Alec",      "Bob",      "Jack",     "Max",         "Bruno",   "Dominick",
    "Emilio",    "Ernest",    "Gilbert",  "Lorenzo",  "Marvin",      "Milo",    "Nolan",
    "Percy",     "Rodney",    "Rudy",     "Silas",    "Stanley",     "Wesley",
};

constexpr std::string_view kUnisex[] = {
    "Alex",    "Avery",   "Casey", "Charlie", "Jamie",   "Jesse",  "Kai",    "Morgan",
    "Quinn",   "Riley",   "Sam",   "Taylor",  "Cameron", "Rowan",  "Finley", "Dana",
    "Skyler",  "Kendall", "Reese", "Jaden",   "Rory",    "Ali",    "Chris",  "Terry",
    "Frankie", "Jaime",   "Sasha", "Misha",   "Peyton",  "Shiloh", "Billie", "Toni",
    "Mel",     "Jessie",  "Devin", "Ariel",   "Emery",   "Sidney", "Kerry",
};

constexpr std::string_view kSurname[] = {
    "Smith",      "Johnson",   "Williams",  "Jones",     "Garcia",    "Miller",   "Davis",
    "Rodriguez",  "Martinez",  "Hernandez", "Lopez",     "Gonzalez",  "Wilson",   "Anderson",
    "Moore",      "Thompson",  "Harris",    "Clark",     "Lewis",     "Robinson", "Walker",
    "Allen",      "Wright",    "Torres",    "Nguyen",    "Flores",    "Adams",    "Nelson",
    "Rivera",     "Campbell",  "Mitchell",  "Carter",    "Roberts",   "Patel",    "Kim",
    "Chen",       "Singh",     "Murphy",    "Bailey",    "Howard",    "Ward",     "Diaz",
    "Richardson", "Watson",    "Brooks",    "Bennett",   "Hughes",    "Sanders",  "Myers",
    "Ross",       "Foster",    "Jenkins",   "Perry",     "Powell",    "Russell",  "Sullivan",
    "Hayes",      "Henderson", "Coleman",   "Simmons",   "Patterson", "Reynolds", "Hamilton",
    "Graham",     "Kowalski",  "Novak",     "Schneider", "Dubois",    "Rossi",    "Tanaka",
    "Sato",       "Okafor",    "Larsen",    "Petrov",    "Moreno",    "Schmidt",  "Keller",
    "Lindqvist",  "Okoro",     "Haddad",
};

constexpr std::string_view kCity[] = {
    "Boston",         "Chicago",      "Denver",        "Seattle",     "Atlanta",
    "Miami",          "Detroit",      "Portland",      "Baltimore",   "Nashville",
    "Memphis",        "Cleveland",    "Pittsburgh",    "Cincinnati",  "Sacramento",
    "Tucson",         "Albuquerque",  "Milwaukee",     "Minneapolis", "Omaha",
    "Tampa",          "Toronto",      "Montreal",      "Vancouver",   "Calgary",
    "London",         "Manchester",   "Liverpool",     "Dublin",      "Edinburgh",
    "Glasgow",        "Berlin",       "Munich",        "Hamburg",     "Madrid",
    "Barcelona",      "Lisbon",       "Rome",          "Milan",       "Vienna",
    "Prague",         "Warsaw",       "Budapest",      "Amsterdam",   "Brussels",
    "Copenhagen",     "Stockholm",    "Oslo",          "Helsinki",    "Athens",
    "Istanbul",       "Cairo",        "Nairobi",       "Lagos",       "Mumbai",
    "Delhi",          "Bangkok",      "Tokyo",         "Osaka",       "Seoul",
    "Beijing",        "Shanghai",     "Melbourne",     "Auckland",    "Lima",
    "Bogota",         "Santiago",     "New York City", "New York",    "Los Angeles",
    "San Francisco",  "San Diego",    "Las Vegas",     "New Orleans", "Salt Lake City",
    "Rio de Janeiro", "Buenos Aires", "Mexico City",   "Hong Kong",   "Cape Town",
    "Kansas City",
};

constexpr std::string_view kCountry[] = {
    "France",      "Germany",      "Italy",       "Spain",       "Portugal",     "Canada",
    "Mexico",      "Brazil",       "Argentina",   "Peru",        "Colombia",     "Japan",
    "India",       "Kenya",        "Nigeria",     "Egypt",       "Australia",    "Sweden",
    "Norway",      "Finland",      "Denmark",     "Poland",      "Greece",       "Ireland",
    "Scotland",    "England",      "Netherlands", "Belgium",     "Switzerland",  "Austria",
    "Vietnam",     "Thailand",     "Indonesia",   "Philippines", "Morocco",      "Ghana",
    "Chile",       "Russia",       "Ukraine",     "Iceland",     "China",        "New Zealand",
    "South Korea", "South Africa", "Costa Rica",  "Sri Lanka",   "Saudi Arabia", "United Kingdom",
};

constexpr std::string_view kState[] = {
    "Alabama",      "Alaska",        "Arizona",        "Arkansas",      "California",
    "Colorado",     "Connecticut",   "Delaware",       "Florida",       "Hawaii",
    "Idaho",        "Illinois",      "Iowa",           "Kansas",        "Kentucky",
    "Louisiana",    "Maine",         "Maryland",       "Massachusetts", "Michigan",
    "Minnesota",    "Mississippi",   "Missouri",       "Montana",       "Nebraska",
    "Nevada",       "Ohio",          "Oklahoma",       "Oregon",        "Pennsylvania",
    "Tennessee",    "Texas",         "Utah",           "Vermont",       "Wisconsin",
    "Wyoming",      "New Hampshire", "New Jersey",     "New Mexico",    "North Carolina",
    "North Dakota", "Rhode Island",  "South Carolina", "South Dakota",  "West Virginia",
};

struct Lexicon {
  std::unordered_map<std::string_view, NameKind> kind;  // every name but surnames
  std::vector<std::string_view> multi_word;             // longest first
};

const Lexicon& Get() {
  static const Lexicon kLexicon = [] {
    Lexicon lex;
    auto add = [&](std::span<const std::string_view> names, NameKind k) {
      for (std::string_view n : names) {
        lex.kind.emplace(n, k);
        if (n.find(' ') != std::string_view::npos) lex.multi_word.push_back(n);
      }
    };
    add(kFemale, NameKind::kFemale);
    add(kMale, NameKind::kMale);
    add(kUnisex, NameKind::kUnisex);
    add(kCity, NameKind::kCity);
    add(kCountry, NameKind::kCountry);
    add(kState, NameKind::kState);
    std::stable_sort(lex.multi_word.begin(), lex.multi_word.end(),
                     [](std::string_view a, std::string_view b) { return a.size() > b.size(); });
    return lex;
  }();
  return kLexicon;
}

}  // namespace

std::span<const std::string_view> NamesOf(NameKind kind) {
  switch (kind) {
    case NameKind::kFemale:
      return kFemale;
    case NameKind::kMale:
      return kMale;
    case NameKind::kUnisex:
      return kUnisex;
    case NameKind::kSurname:
      return kSurname;
    case NameKind::kCity:
      return kCity;
    case NameKind::kCountry:
      return kCountry;
    case NameKind::kState:
      return kState;
  }
  return {};
}

std::optional<NameKind> LookupName(std::string_view name) {
  const auto& lex = Get();
  const auto it = lex.kind.find(name);
  if (it == lex.kind.end()) return std::nullopt;
  return it->second;
}

std::span<const std::string_view> MultiWordPlaces() { return Get().multi_word; }

}  // namespace gapbench::suites::perturb
